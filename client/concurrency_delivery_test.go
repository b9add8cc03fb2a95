package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/fsm"
)

// TestNodeTransportDeathAccounting cuts every connection of a session (a
// forward proxy between the client and the server closes them all) while
// a goroutine sends numbered messages as fast as Send accepts them, in
// every mode. Engine.IO has no acknowledgements, so this is what the
// client can promise, and what is checked:
//
//   - every accepted message was either handed to a transport (OnPacket,
//     outbound) or logged as not sent ("eio: messages not sent"), never
//     both and never neither: accepted = handed + logged, where the
//     logged count is corrected for the pongs it also counts (a pong
//     queued for a ping and not yet written goes with the messages: at
//     most pings read - pongs handed, zero unless a ping came in last);
//   - the server received a prefix of the sequence, each message once and
//     in order, and no message it received was logged as not sent:
//     received <= handed (the logged ones are the tail after the handed
//     ones);
//   - handed but not received is the unknown part; it is logged, not
//     bounded: a completed WebSocket write only reached the kernel, and a
//     polling POST whose answer was lost may or may not have been read;
//   - the session ends as a transport error and leaves no goroutine.
func TestNodeTransportDeathAccounting(t *testing.T) {
	const before = 300 // messages handed to a transport before the cut
	// The server notices a cut polling session by its heartbeat alone
	// when no long-poll was pending, so it pings often.
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 300 * time.Millisecond, PingTimeout: 300 * time.Millisecond})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			logs := &logCounter{}
			proxy := startProxy(t)
			tr := &http.Transport{Proxy: http.ProxyURL(proxy.URL)}
			t.Cleanup(tr.CloseIdleConnections)
			c := client.New(&client.Options{Logger: logs.logger(), HTTPClient: &http.Client{Transport: tr}})
			rec := record(c)
			handed := countHanded(c)
			var failedMu sync.Mutex
			var failed []string
			c.OnSendFailed(func(msgs []client.Message, err error) {
				assert.ErrorIs(t, err, fsm.ErrClosed) // not require: a handler's goroutine
				failedMu.Lock()
				defer failedMu.Unlock()
				for _, m := range msgs {
					failed = append(failed, m.Text())
				}
			})
			connectMode(t, c, rec, p.URL, mode.name, nil)
			sid := c.SID()

			accepted := make(chan int, 1)
			go func() {
				n := 0
				for ; n < 1_000_000; n++ {
					if err := c.Send(fmt.Sprint("seq:a:", n)); err != nil {
						if !errors.Is(err, client.ErrClosed) {
							t.Errorf("send %d: %v", n, err)
						}
						break
					}
				}
				accepted <- n
			}()
			require.Eventually(t, func() bool { return handed.total() >= before }, 10*time.Second, time.Millisecond)
			proxy.close()
			n := within(t, accepted, 10*time.Second, "the sender's end")
			require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 10*time.Second))
			require.NoError(t, c.Wait(testCtx(t, 10*time.Second)))

			closed, err := p.WaitClosed(testCtx(t, 10*time.Second), sid)
			require.NoError(t, err)
			require.NotNil(t, closed.Stats, "the Node peer reports its count at close")
			got := closed.Stats
			sent, notSent := handed.total(), int(logs.notSent.Load())
			t.Logf("accepted %d: handed %d (received %d, unknown %d), logged as not sent %d; server: %s",
				n, sent, got.Received, sent-got.Received, notSent, closed.Reason)
			require.Equal(t, n, sent+notSent, "every accepted message is either handed or logged as not sent")
			// OnSendFailed names them: the tail after the handed ones, in order.
			var want []string
			for i := sent; i < n; i++ {
				want = append(want, fmt.Sprint("seq:a:", i))
			}
			failedMu.Lock()
			require.Equal(t, want, failed, "the messages reported to OnSendFailed")
			failedMu.Unlock()
			require.Zero(t, got.Duplicates)
			require.Zero(t, got.OutOfOrder)
			require.Zero(t, got.Malformed)
			last, ok := got.Keys["a"]
			if !ok {
				last = -1
			}
			require.Equal(t, got.Received-1, last, "the server received a prefix")
			require.LessOrEqual(t, got.Received, sent, "no message logged as not sent reached the server")
			requireNoGoroutines(t)
		})
	}
}

// TestNodeDisconnectDelivers sends 2,000 messages from four goroutines and
// calls Disconnect as soon as the last Send returned, in every mode: the
// close packet follows every message accepted before Disconnect, so the
// server, counting at the session's close, received them all, once each
// and in each sender's order, and the client logged none as not sent.
func TestNodeDisconnectDelivers(t *testing.T) {
	const senders, each = 4, 500
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			logs := &logCounter{}
			c := client.New(&client.Options{Logger: logs.logger()})
			rec := record(c)
			connectMode(t, c, rec, p.URL, mode.name, nil)
			sid := c.SID()
			sendSequences(t, c, senders, each)
			require.NoError(t, c.Disconnect(testCtx(t, 10*time.Second)))
			require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
			require.Zero(t, logs.notSent.Load())

			closed, err := p.WaitClosed(testCtx(t, 10*time.Second), sid)
			require.NoError(t, err)
			require.Equal(t, peer.ReasonTransportClose, closed.Reason)
			require.NotNil(t, closed.Stats)
			require.Equal(t, senders*each, closed.Stats.Received)
			require.Zero(t, closed.Stats.Duplicates+closed.Stats.OutOfOrder+closed.Stats.Malformed)
			for g := range senders {
				require.Equal(t, each-1, closed.Stats.Keys[fmt.Sprintf("g%d", g)])
			}
			requireNoGoroutines(t)
		})
	}
}
