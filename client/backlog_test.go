package client_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/transports/polling"
)

// TestNodeBlockedHandlerBacklog blocks the message handler while the
// server sends 5,000 messages: the client stops reading once 1,024 handler
// calls wait, instead of queuing all of them. What was read by then still
// gets in: over WebSocket a frame (the bound allows 16), over polling a
// part of the payload in hand, at most 256 packets (engine.io answers a
// long-poll with all it queued, here the whole burst; the rest waits in
// the transport). While the handler stays blocked, 10 more messages
// are not read (the long-poll is not even sent). Once the handler
// returns, every message arrives, in order.
func TestNodeBlockedHandlerBacklog(t *testing.T) {
	const burst = 5000
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range []string{"websocket", "polling"} {
		t.Run(mode, func(t *testing.T) {
			logs := &logCounter{}
			c := client.New(&client.Options{Logger: logs.logger()})
			blocked, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			unblock := func() { once.Do(func() { close(release) }) }
			t.Cleanup(unblock)
			got := make(chan string, burst+10)
			c.OnMessage(func(m client.Message) {
				if m.Text() == "block" {
					close(blocked)
					<-release
					return
				}
				got <- m.Text()
			})
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{mode}}))
			require.NoError(t, c.Send("block"))
			within(t, blocked, 5*time.Second, "the blocking message")
			require.NoError(t, c.Send(fmt.Sprintf("cmd:burst:%d", burst)))

			// Reading stops: the count settles.
			var last int64 = -1
			require.Eventually(t, func() bool {
				n := logs.in.Load()
				settled := n == last && n > 1024
				last = n
				return settled
			}, 10*time.Second, 300*time.Millisecond, "reading settles while the handler blocks")
			t.Logf("packets read while blocked: %d", last)
			// Past the bound, what one read brought still gets in: a frame,
			// or a part of a poll's payload.
			bound := int64(1024 + 16 + 3)
			if mode == "polling" {
				bound = 1024 + polling.PartPackets + 3
			}
			require.LessOrEqual(t, last, bound, "packets read while blocked")
			require.NoError(t, c.Send("cmd:burst:10"))
			require.Never(t, func() bool { return logs.in.Load() > last }, time.Second, 50*time.Millisecond,
				"more is read while the handler blocks")

			unblock()
			want := make([]string, 0, burst+10)
			for i := range burst {
				want = append(want, fmt.Sprintf("burst:%d", i))
			}
			for i := range 10 {
				want = append(want, fmt.Sprintf("burst:%d", i))
			}
			for i, w := range want {
				select {
				case m := <-got:
					require.Equal(t, w, m)
				case <-time.After(10 * time.Second):
					t.Fatalf("message %d of %d did not arrive", i, len(want))
				}
			}
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			requireNoGoroutines(t)
		})
	}
}
