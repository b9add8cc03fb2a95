package client_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// TestNodeMessageOverMaxPayload: a server's maxPayload bounds what it
// accepts, not what it sends. engine.io started with a maxHttpBufferSize
// of 10,000 bytes sends a message of 50,000 bytes, and answers a
// long-poll with everything it queued (here 60 KB of messages in one
// payload); the client takes both, on either transport.
func TestNodeMessageOverMaxPayload(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{MaxPayload: 10000})
	for _, mode := range []string{"websocket", "polling"} {
		t.Run(mode, func(t *testing.T) {
			c := client.New(nil)
			rec := record(c)
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{mode}}))
			require.NoError(t, c.Send("cmd:large:50000"))
			require.Len(t, rec.next(t, 5*time.Second).Data, 50000)
			require.NoError(t, c.Send("cmd:burst:5000"))
			for i := range 5000 {
				require.Equal(t, fmt.Sprintf("burst:%d", i), rec.next(t, 5*time.Second).Text())
			}
			require.Empty(t, rec.discCh, "no disconnect")
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			requireNoGoroutines(t)
		})
	}
}
