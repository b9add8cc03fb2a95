package client_test

import (
	"context"
	"testing"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/client"
)

// TestHostileAbsurdMaxPayloadWebSocket: a server that advertises an
// absurd maxPayload must not lift the WebSocket read limit. Today
// websocket.go's setLimit sets maxPayload + 64: 1e15 gives about 1 PB,
// and 1e300 (math.MaxInt after ParseHandshake) overflows to a negative
// limit, which coder/websocket takes as no limit at all, so an endless
// frame is read until memory runs out. Do not unskip before the fix: it
// would do just that.
func TestHostileAbsurdMaxPayloadWebSocket(t *testing.T) {
	t.Skip("known: transports/websocket setLimit takes maxPayload+64 unchecked; 1e300 overflows to no limit; fix: min(maxPayload, a cap) + 64")
	// trustedFrame is the cap the fix is expected to put on the limit
	// (polling believes maxPayload up to 64 MiB); keep the two in step.
	const trustedFrame = 64 << 20
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
