package websocket_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/websocket"
)

// agreedWriter records the extensions a server agreed to.
type agreedWriter struct {
	http.ResponseWriter
	agreed *string
}

func (w agreedWriter) WriteHeader(code int) {
	*w.agreed = w.Header().Get("Sec-WebSocket-Extensions")
	w.ResponseWriter.WriteHeader(code)
}

// Hijack lets coder/websocket take the connection over.
func (w agreedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.ResponseWriter.(http.Hijacker).Hijack()
}

// TestDialOptions dials a server that negotiates permessage-deflate and
// a subprotocol: the registration's dial options reach the handshake, the
// configured headers win over the dial options' own, and a compressed
// frame arrives intact.
func TestDialOptions(t *testing.T) {
	type seen struct {
		header http.Header
		query  url.Values
		agreed string
	}
	requests := make(chan seen, 1)
	serverDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var agreed string
		c, err := ws.Accept(agreedWriter{w, &agreed}, r, &ws.AcceptOptions{
			Subprotocols:    []string{"eio-test"},
			CompressionMode: ws.CompressionContextTakeover,
		})
		requests <- seen{r.Header.Clone(), r.URL.Query(), agreed}
		defer close(serverDone)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		_ = c.Write(ctx, ws.MessageText, []byte("4"+strings.Repeat("a", 4096)))
		_, _, _ = c.Read(ctx) // until the client closes
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/engine.io/?room=1")
	require.NoError(t, err)
	reg := websocket.NewRegistration(&ws.DialOptions{
		Subprotocols:    []string{"eio-test"},
		CompressionMode: ws.CompressionContextTakeover,
		HTTPHeader:      http.Header{"X-Dial": {"dial"}, "X-Both": {"dial"}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := reg.Open(ctx, transports.Config{
		URL: u, Revision: codec.V4, SID: "abc", RequestTimeout: 5 * time.Second,
		Header: http.Header{"X-Both": {"config"}},
	})
	require.NoError(t, err)
	got := <-requests
	require.Equal(t, "eio-test", got.header.Get("Sec-WebSocket-Protocol"))
	require.Contains(t, got.header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")
	require.Contains(t, got.agreed, "permessage-deflate", "compression was negotiated")
	require.Equal(t, "dial", got.header.Get("X-Dial"))
	require.Equal(t, "config", got.header.Get("X-Both"))
	require.Equal(t, url.Values{"room": {"1"}, "EIO": {"4"}, "transport": {"websocket"}, "sid": {"abc"}}, got.query)

	pkts, err := tr.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, []codec.Packet{codec.TextMessage(strings.Repeat("a", 4096))}, pkts)
	require.NoError(t, tr.Close(ctx))
	<-serverDone
}

// TestRefusedHandshake reports a refusal with its status and body.
func TestRefusedHandshake(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"code":4,"message":"Forbidden"}`))
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	_, err = websocket.Open(context.Background(), transports.Config{URL: u, Revision: codec.V4})
	var he *transports.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, "WebSocket", he.Method)
	require.Equal(t, http.StatusForbidden, he.Status)
	require.Equal(t, 4, he.Code)
	require.Equal(t, "Forbidden", he.Message)
}

// TestStartWriteNeverWaits fills the connection while the server does not
// read: StartWrite returns (done false) instead of waiting once the send
// buffers are full, FinishWrite completes the write once the server
// reads, and every message arrives once, in order.
func TestStartWriteNeverWaits(t *testing.T) {
	gate := make(chan struct{})
	got := make(chan []string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		<-gate
		var seen []string
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				got <- seen
				return
			}
			seen = append(seen, string(data[:9]))
		}
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr, err := websocket.Open(ctx, transports.Config{URL: u, Revision: codec.V4, SID: "s"})
	require.NoError(t, err)
	st, ok := tr.(transports.WriteStarter)
	require.True(t, ok)

	const size = 32 << 10
	var sent []string
	msg := func(i int) codec.Packet {
		id := fmt.Sprintf("%08d", i)
		sent = append(sent, "4"+id)
		return codec.TextMessage(id + strings.Repeat("x", size-8))
	}
	started := make(chan bool, 1)
	go func() {
		// Bounded: 64 MiB is more than loopback buffers hold.
		for i := range 2048 {
			done, err := st.StartWrite(ctx, []codec.Packet{msg(i)})
			if err != nil || !done {
				started <- err == nil
				return
			}
		}
		started <- false
	}()
	select {
	case ok := <-started:
		require.True(t, ok, "StartWrite left the rest of a write once the buffers were full")
	case <-ctx.Done():
		t.Fatal("StartWrite waited for the network")
	}
	require.Greater(t, len(sent), 1)
	close(gate)
	require.NoError(t, st.FinishWrite(ctx))
	// A write after the finished one goes out behind it.
	done, err := st.StartWrite(ctx, []codec.Packet{msg(len(sent))})
	require.NoError(t, err)
	if !done {
		require.NoError(t, st.FinishWrite(ctx))
	}
	require.NoError(t, tr.Close(ctx))
	require.Equal(t, sent, <-got)
}
