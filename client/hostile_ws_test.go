package client_test

import (
	"context"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports/websocket"
)

// TestHostileWebSocket runs the client against WebSocket servers that
// send frames larger than it may read: the open packet's frame stops at
// websocket.HandshakeReadLimit (1 MiB), later frames at
// websocket.DefaultReadLimit (16 MiB) whatever the server's maxPayload,
// counted after permessage-deflate is undone.
// coder/websocket then closes the connection with status 1009 (message
// too big): a failed Connect, or a transport error.
func TestHostileWebSocket(t *testing.T) {
	const endless = -1
	// A frame is read whole up to the limit: 16 MiB peaks at about 3.5
	// times that.
	const defaultBound = 5 * websocket.DefaultReadLimit
	// frames sends the open packet, then pings and waits for the pong, by
	// which time the client has applied maxPayload, then the big frame.
	frames := func(open string, n int64) func(context.Context, *ws.Conn) {
		return func(ctx context.Context, c *ws.Conn) {
			if c.Write(ctx, ws.MessageText, []byte("0"+open)) != nil || c.Write(ctx, ws.MessageText, []byte("2")) != nil {
				return
			}
			if _, pong, err := c.Read(ctx); err != nil || string(pong) != "3" {
				return
			}
			streamMessage(ctx, c, "4", n)
			_, _, _ = c.Read(ctx) // until the client goes away
		}
	}
	tests := []struct {
		hostileCase
		script func(context.Context, *ws.Conn)
	}{
		{hostileCase{"endless open packet", "", ws.ErrMessageTooBig, defaultBound},
			func(ctx context.Context, c *ws.Conn) { streamMessage(ctx, c, `0{"sid":"`, endless) }},
		{hostileCase{"frame of 64 MiB", client.ReasonTransportError,
			ws.ErrMessageTooBig, defaultBound}, frames(hostileOpen, 64<<20)},
		{hostileCase{"endless frame without maxPayload", client.ReasonTransportError,
			ws.ErrMessageTooBig, defaultBound}, frames(noMaxPayload, endless)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := watchHeap()
			url := fakeWebSocket(t, nil, tt.script)
			runHostile(t, tt.hostileCase, client.New(nil), url, &client.ConnectOptions{Transports: []string{"websocket"}}, w)
		})
	}
}

// TestHostileDeflateBomb negotiates permessage-deflate and receives one
// compressed frame of 64 KiB to 1 MiB that inflates to 64 MiB or 1 GiB:
// coder/websocket applies the read limit to the inflated bytes, so the
// client stops at the limit and ends the session with a transport error.
func TestHostileDeflateBomb(t *testing.T) {
	tests := []struct {
		hostileCase
		open string
		mib  int
	}{
		{hostileCase{"64 MiB", client.ReasonTransportError,
			ws.ErrMessageTooBig, 5 * websocket.DefaultReadLimit}, hostileOpen, 64},
		{hostileCase{"1 GiB without maxPayload", client.ReasonTransportError,
			ws.ErrMessageTooBig, 5 * websocket.DefaultReadLimit}, noMaxPayload, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bomb := deflateZeros(t, "4", tt.mib)
			t.Logf("compressed frame: %d KiB inflating to %d MiB", len(bomb)>>10, tt.mib)
			w := watchHeap()
			url := rawDeflateServer(t, tt.open, bomb)
			c := client.New(&client.Options{WebSocketDialOptions: &ws.DialOptions{CompressionMode: ws.CompressionNoContextTakeover}})
			runHostile(t, tt.hostileCase, c, url, &client.ConnectOptions{Transports: []string{"websocket"}}, w)
		})
	}
}

// TestHostileInvalidUTF8WebSocket sends a text frame that is not UTF-8:
// coder/websocket does not check text frames, and the client delivers the
// bytes as they are, as over polling; the session goes on.
func TestHostileInvalidUTF8WebSocket(t *testing.T) {
	bad := []byte("\xff\xfe\xc0\xaf not UTF-8 \xed\xa0\x80")
	url := fakeWebSocket(t, nil, func(ctx context.Context, c *ws.Conn) {
		if c.Write(ctx, ws.MessageText, []byte("0"+hostileOpen)) != nil ||
			c.Write(ctx, ws.MessageText, append([]byte("4"), bad...)) != nil {
			return
		}
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if string(data) == "1" { // the client's close packet
				return
			}
			_ = c.Write(ctx, typ, data)
		}
	})
	c := client.New(nil)
	rec := record(c)
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), url, &client.ConnectOptions{Transports: []string{"websocket"}}))
	m := rec.next(t, 5*time.Second)
	require.False(t, m.Binary)
	require.Equal(t, bad, m.Data)
	require.NoError(t, c.SendText("still here"))
	require.Equal(t, "still here", rec.next(t, 5*time.Second).Text())
	require.Equal(t, client.State(fsm.Open), c.State())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, 5*time.Second))
	requireNoGoroutines(t)
}
