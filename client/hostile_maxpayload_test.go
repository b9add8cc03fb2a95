package client_test

import (
	"context"
	"testing"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/transports/websocket"
)

// TestHostileAbsurdMaxPayloadWebSocket: a server that advertises an
// absurd maxPayload (1e15, or 1e300, which once overflowed the read limit
// to no limit at all) cannot lift the WebSocket read limit, which no
// longer depends on maxPayload: an endless frame ends the session with
// ErrMessageTooBig within a bounded heap.
func TestHostileAbsurdMaxPayloadWebSocket(t *testing.T) {
	const trustedFrame = websocket.DefaultReadLimit
	for _, maxPayload := range []string{"1e15", "1e300"} {
		t.Run(maxPayload, func(t *testing.T) {
			open := `{"sid":"hostile","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":` + maxPayload + `}`
			script := func(ctx context.Context, c *ws.Conn) {
				// The pong shows the client applied the handshake's limit.
				if c.Write(ctx, ws.MessageText, []byte("0"+open)) != nil || c.Write(ctx, ws.MessageText, []byte("2")) != nil {
					return
				}
				if _, pong, err := c.Read(ctx); err != nil || string(pong) != "3" {
					return
				}
				streamMessage(ctx, c, "4", -1)
				_, _, _ = c.Read(ctx)
			}
			w := watchHeap()
			url := fakeWebSocket(t, nil, script)
			runHostile(t, hostileCase{maxPayload, client.ReasonTransportError, ws.ErrMessageTooBig, 5 * trustedFrame},
				client.New(nil), url, &client.ConnectOptions{Transports: []string{"websocket"}}, w)
		})
	}
}
