package client_test

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/transports"
)

// TestNodeHTTPErrors checks the HTTP refusals of engine.io as errors: a
// rejected protocol revision and a transport the server does not serve,
// on each transport, with status, code and message; and a session whose
// server forgot it.
func TestNodeHTTPErrors(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	wsOnly := peer.Start(t, peer.Node6, peer.Options{Transports: []string{"websocket"}})
	pollingOnly := peer.Start(t, peer.Node6, peer.Options{Transports: []string{"polling"}})
	for _, tc := range []struct {
		name    string
		url     string
		opts    client.ConnectOptions
		method  string
		code    int
		message string
	}{
		{"revision polling", p.URL, client.ConnectOptions{Revision: codec.V3, Transports: []string{"polling"}},
			"GET", 5, "Unsupported protocol version"},
		{"transport polling", wsOnly.URL, client.ConnectOptions{Transports: []string{"polling"}},
			"GET", 0, "Transport unknown"},
		{"transport websocket", pollingOnly.URL, client.ConnectOptions{Transports: []string{"websocket"}},
			"WebSocket", 0, "Transport unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := client.New(nil)
			err := c.Connect(testCtx(t, 10*time.Second), tc.url, &tc.opts)
			require.ErrorIs(t, err, client.ErrConnect)
			var ce *client.ConnectError
			require.ErrorAs(t, err, &ce)
			var he *transports.HTTPError
			require.ErrorAs(t, err, &he)
			require.Equal(t, http.StatusBadRequest, he.Status)
			require.Equal(t, tc.method, he.Method)
			require.Equal(t, tc.message, he.Message)
			require.Equal(t, tc.code, he.Code)
			require.Contains(t, err.Error(), tc.message)
		})
	}

	// engine.io 6 checks the revision of a WebSocket session only after
	// completing the WebSocket handshake, then writes a raw HTTP 400 into
	// the upgraded connection: the client sees a broken first frame.
	t.Run("revision websocket", func(t *testing.T) {
		c := client.New(nil)
		err := c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Revision: codec.V3, Transports: []string{"websocket"}})
		require.ErrorIs(t, err, client.ErrConnect)
		require.Contains(t, err.Error(), "websocket read")
	})

	t.Run("session unknown", func(t *testing.T) {
		other := peer.Start(t, peer.Node6, peer.Options{})
		f := startFront(t, p.URL)
		c := client.New(nil)
		rec := record(c)
		connectMode(t, c, rec, f.URL, "polling", nil)
		f.retarget(t, other.URL) // as a load balancer without affinity would
		require.NoError(t, c.Send("to the wrong node"))
		require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 10*time.Second))
		_, err := c.Reason()
		var he *transports.HTTPError
		require.ErrorAs(t, err, &he)
		require.Equal(t, http.StatusBadRequest, he.Status)
		require.Equal(t, 1, he.Code)
		require.Equal(t, "Session ID unknown", he.Message)
		require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	})
	requireNoGoroutines(t)
}

// TestNodeUsageErrors covers the errors of using the client wrongly:
// invalid URLs and transport lists (reported before any request), a
// second Connect, sends on a closed client and an oversized message.
func TestNodeUsageErrors(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{MaxPayload: 1000})
	c := client.New(nil)
	for _, raw := range []string{"ftp://127.0.0.1", "http://", "::not a url", "/relative"} {
		err := c.Connect(testCtx(t, 5*time.Second), raw, nil)
		require.ErrorIs(t, err, client.ErrInvalidURL, raw)
		require.NotErrorIs(t, err, client.ErrConnect, raw)
	}
	err := c.Connect(testCtx(t, 5*time.Second), p.URL, &client.ConnectOptions{Query: url.Values{"sid": {"x"}}})
	require.ErrorIs(t, err, client.ErrInvalidURL)
	for _, list := range [][]string{{}, {"polling", "polling"}, {"smoke-signals"}} {
		err := c.Connect(testCtx(t, 5*time.Second), p.URL, &client.ConnectOptions{Transports: list})
		require.ErrorIs(t, err, client.ErrInvalidTransports, "%v", list)
	}
	err = c.Connect(testCtx(t, 5*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"smoke-signals"}})
	require.ErrorIs(t, err, transports.ErrUnknownTransport)
	err = c.Connect(testCtx(t, 5*time.Second), p.URL, &client.ConnectOptions{Revision: 5})
	require.ErrorIs(t, err, client.ErrConnect)

	require.ErrorIs(t, c.Send("before"), client.ErrClosed)
	require.ErrorIs(t, c.Disconnect(testCtx(t, time.Second)), client.ErrClosed)
	require.Equal(t, "", c.Transport())

	rec := record(c)
	connectMode(t, c, rec, p.URL, "upgrade", nil)
	require.ErrorIs(t, c.Connect(testCtx(t, 5*time.Second), p.URL, nil), client.ErrAlreadyConnected)
	err = c.Send(strings.Repeat("x", 1000))
	require.ErrorIs(t, err, client.ErrMessageTooLarge)
	var tl *client.MessageTooLargeError
	require.ErrorAs(t, err, &tl)
	require.Equal(t, 1000, tl.Max)
	require.NoError(t, c.Send(strings.Repeat("x", 998)), "a message that fits is sent")
	require.Equal(t, 998, len(rec.next(t, 5*time.Second).Data))

	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	err = c.Send("after")
	require.ErrorIs(t, err, client.ErrClosed)
	require.ErrorIs(t, err, net.ErrClosed)
	require.True(t, errors.Is(c.Disconnect(testCtx(t, time.Second)), client.ErrClosed))
	requireNoGoroutines(t)
}
