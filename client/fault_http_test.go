package client_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/faultproxy"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
)

// TestFaultHandshakeStatus answers the handshake with 500, 502 and 429
// on each transport: Connect fails with a ConnectError carrying the
// HTTP status and the body, and leaves nothing behind.
func TestFaultHandshakeStatus(t *testing.T) {
	p := nodeURL(t)
	fp := viaFaults(t, p)
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusTooManyRequests} {
		for _, mode := range faultModes {
			t.Run(fmt.Sprintf("%d/%s", status, mode), func(t *testing.T) {
				body := fmt.Sprintf("no luck (%d)", status)
				fp.Set(faultproxy.Faults{Rules: []faultproxy.Rule{
					{Match: faultproxy.IsHandshake, Fault: faultproxy.Answer{Status: status, Body: body}},
				}})
				c := client.New(nil)
				rec := record(c)
				start := time.Now()
				err := c.Connect(testCtx(t, 10*time.Second), fp.URL(), &client.ConnectOptions{Transports: []string{mode}})
				require.Less(t, time.Since(start), 3*time.Second, "no retry, no backoff")
				require.ErrorIs(t, err, client.ErrConnect)
				var ce *client.ConnectError
				require.ErrorAs(t, err, &ce)
				var he *transports.HTTPError
				require.ErrorAs(t, err, &he)
				require.Equal(t, status, he.Status)
				require.Equal(t, body, he.Message)
				method := map[string]string{"polling": "GET", "websocket": "WebSocket"}[mode]
				require.Equal(t, method, he.Method)
				require.Contains(t, err.Error(), fmt.Sprintf("HTTP %d: %s", status, body))
				require.ErrorIs(t, c.SendText("x"), client.ErrClosed)
				require.NoError(t, c.Wait(testCtx(t, time.Second)))
				require.Empty(t, rec.discCh, "no session, no disconnect")
				requireNoGoroutines(t)
				requireNoHTTPConns(t)
			})
		}
	}
}

// TestFaultPollingStatus answers a later long-poll GET, or a POST, of a
// polling session with an HTTP error: the session ends with a transport
// error carrying the status, method and body.
func TestFaultPollingStatus(t *testing.T) {
	p := nodeURL(t)
	for _, tc := range []struct {
		name   string
		match  func(*http.Request) bool
		method string
		status int
	}{
		{"poll 502", faultproxy.IsPoll, "GET", http.StatusBadGateway},
		{"poll 429", faultproxy.IsPoll, "GET", http.StatusTooManyRequests},
		{"post 500", faultproxy.IsPost, "POST", http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := viaFaults(t, p)
			c := client.New(nil)
			rec := record(c)
			connectMode(t, c, rec, fp.URL(), "polling", nil)
			sendNumbered(t, c, "m", 0, 3)
			expectNumbered(t, rec, "m", 0, 3, 5*time.Second)

			fp.Set(faultproxy.Faults{Rules: []faultproxy.Rule{
				{Match: tc.match, Fault: faultproxy.Answer{Status: tc.status, Body: "proxy says no"}},
			}})
			// The echo of m:3 completes the GET in flight; the next GET or
			// the POST gets the error.
			sendUntilClosed(t, c, "m", 3, 2)
			require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 5*time.Second))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			_, err := c.Reason()
			var he *transports.HTTPError
			require.ErrorAs(t, err, &he)
			require.Equal(t, tc.status, he.Status)
			require.Equal(t, tc.method, he.Method)
			require.Equal(t, "proxy says no", he.Message)
			require.GreaterOrEqual(t, fp.Hits(), 1)
			requireUniqueInOrder(t, rec)
			requireNoGoroutines(t)
			requireNoHTTPConns(t)
		})
	}
}

// TestFaultTruncated cuts HTTP answers short: the polling handshake
// fails Connect, and a long-poll answer cut mid-body ends the session
// with a transport error; both say "unexpected EOF".
func TestFaultTruncated(t *testing.T) {
	p := nodeURL(t)
	t.Run("handshake", func(t *testing.T) {
		fp := viaFaults(t, p)
		fp.Set(faultproxy.Faults{Rules: []faultproxy.Rule{{Match: faultproxy.IsHandshake, Fault: faultproxy.Truncate{Keep: 20}}}})
		c := client.New(nil)
		err := c.Connect(testCtx(t, 10*time.Second), fp.URL(), &client.ConnectOptions{Transports: []string{"polling"}})
		require.ErrorIs(t, err, client.ErrConnect)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.ErrorContains(t, err, "polling GET: codec: reading payload: unexpected EOF")
		require.NoError(t, c.Wait(testCtx(t, time.Second)))
		requireNoGoroutines(t)
		requireNoHTTPConns(t)
	})
	t.Run("poll", func(t *testing.T) {
		fp := viaFaults(t, p)
		c := client.New(nil)
		rec := record(c)
		connectMode(t, c, rec, fp.URL(), "polling", nil)
		sendNumbered(t, c, "m", 0, 3)
		expectNumbered(t, rec, "m", 0, 3, 5*time.Second)
		fp.Set(faultproxy.Faults{Rules: []faultproxy.Rule{{Match: faultproxy.IsPoll, Fault: faultproxy.Truncate{Keep: 2}}}})
		sendUntilClosed(t, c, "m", 3, 2)
		require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 5*time.Second))
		_, err := c.Reason()
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		require.ErrorContains(t, err, "polling GET: codec: reading payload: unexpected EOF")
		require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
		requireUniqueInOrder(t, rec)
		requireNoGoroutines(t)
		requireNoHTTPConns(t)
	})
}

// TestFaultGarbage puts bytes that are not the protocol into the server's
// answers: bytes that break the HTTP or WebSocket framing end the session
// with a transport error, well-framed bytes that are no Engine.IO packet
// with a protocol error naming the bad packet type.
func TestFaultGarbage(t *testing.T) {
	p := nodeURL(t)
	for _, tc := range []struct {
		name   string
		mode   string
		faults faultproxy.Faults
		reason client.Reason
		msg    string
	}{
		// Before the next answer: its status line is garbage.
		{"polling/stream", "polling", faultproxy.Faults{Down: faultproxy.Shape{Garbage: []byte("\xff\xfe garbage\r\n\r\n")}},
			client.ReasonTransportError, `malformed HTTP status code "garbage"`},
		// A 200 answer whose body is no payload.
		{"polling/body", "polling", faultproxy.Faults{Rules: []faultproxy.Rule{{Match: faultproxy.IsPoll, Fault: faultproxy.ReplaceBody{Body: []byte("\xff\x00garbage")}}}},
			client.ReasonProtocolError, "polling GET: codec: unknown packet type at offset 0: packet type 'ÿ'"},
		// Before the next frame: no valid frame header.
		{"websocket/stream", "websocket", faultproxy.Faults{Down: faultproxy.Shape{Garbage: []byte("\xff\xfe garbage")}},
			client.ReasonTransportError, "websocket read: failed to get reader: received header with unexpected rsv bits"},
		// A well-formed text frame "xyz": no packet type x.
		{"websocket/frame", "websocket", faultproxy.Faults{Down: faultproxy.Shape{Garbage: []byte("\x81\x03xyz")}},
			client.ReasonProtocolError, "websocket read: codec: unknown packet type at offset 0: packet type 'x'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := viaFaults(t, p)
			c := client.New(nil)
			rec := record(c)
			connectMode(t, c, rec, fp.URL(), tc.mode, nil)
			sendNumbered(t, c, "m", 0, 3)
			expectNumbered(t, rec, "m", 0, 3, 5*time.Second)
			fp.Set(tc.faults)
			sendUntilClosed(t, c, "m", 3, 2)
			require.Equal(t, tc.reason, rec.disconnected(t, 5*time.Second))
			_, err := c.Reason()
			require.ErrorContains(t, err, tc.msg)
			if tc.reason == client.ReasonProtocolError {
				require.ErrorIs(t, err, fsm.ErrProtocol)
				require.ErrorIs(t, err, codec.ErrUnknownType)
			}
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			requireUniqueInOrder(t, rec)
			requireNoGoroutines(t)
			requireNoHTTPConns(t)
		})
	}
}
