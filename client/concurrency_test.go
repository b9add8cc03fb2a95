package client_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// TestNodeSendStormAcrossUpgrade sends from 64 goroutines at once from the
// moment Connect returns on polling until each has sent 20 more messages
// after the switch to the WebSocket was reported (TestNodeUpgradeLosesNothing
// sends a fixed 10,000 from 8). Messages went out on both transports; the
// server counted every accepted message exactly once and each sender's in
// its order; no Send failed.
func TestNodeSendStormAcrossUpgrade(t *testing.T) {
	const senders, after, limit = 64, 20, 5000
	p := peer.Start(t, peer.Node6, peer.Options{})
	c := client.New(nil)
	var upgraded atomic.Bool
	c.OnUpgrade(func(string) { upgraded.Store(true) })
	handed := countHanded(c)
	replies := statsReplies(c)
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))

	start := make(chan struct{})
	sent := make([]int, senders)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			extra := 0
			for sent[g] < limit && extra < after {
				if upgraded.Load() {
					extra++
				}
				if err := c.Send(fmt.Sprintf("seq:g%d:%d", g, sent[g])); err != nil {
					t.Errorf("sender %d, message %d: %v", g, sent[g], err)
					return
				}
				sent[g]++
			}
		}()
	}
	close(start)
	wg.Wait()
	require.True(t, upgraded.Load(), "the upgrade did not happen while %d messages were sent", senders*limit)

	// The reply comes after the handler calls of every packet sent before.
	st := serverStats(t, c, replies)
	require.Positive(t, handed.on("polling"), "no message went out before the switch")
	require.Positive(t, handed.on("websocket"), "no message went out after the switch")
	total := 0
	for _, n := range sent {
		total += n
	}
	t.Logf("%d messages: %d on polling, %d on websocket", total, handed.on("polling"), handed.on("websocket"))
	require.Equal(t, total, st.Received, "every accepted message arrives exactly once")
	require.Zero(t, st.Duplicates)
	require.Zero(t, st.OutOfOrder, "each sender's messages arrive in its order")
	require.Zero(t, st.Malformed)
	require.Len(t, st.Keys, senders)
	for g, n := range sent {
		require.Equal(t, n-1, st.Keys[fmt.Sprintf("g%d", g)], "sender %d", g)
	}
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	requireNoGoroutines(t)
}

// TestNodeDisconnectRacesSend starts 16 senders and, once they are under
// way, Disconnect (or Abort, or both) and a send of "cmd:close", which
// makes the server close the session, at the same moment: each race twice
// in every mode. Every Send returns nil or an error matching ErrClosed,
// and never nil again after an error;
// Disconnect returns nil or ErrClosed (when the server's close ended the
// connection first); the disconnect handler runs once, with the client's
// or the server's close as the reason; every accepted message was either
// handed to a transport or logged as not sent, and none logged when a
// graceful Disconnect ended the session; no goroutine is left.
func TestNodeDisconnectRacesSend(t *testing.T) {
	const senders = 16
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		for _, race := range []string{"disconnect", "abort", "both", "disconnect", "abort", "both"} {
			t.Run(mode.name+"/"+race, func(t *testing.T) {
				logs := &logCounter{}
				c := client.New(&client.Options{Logger: logs.logger()})
				rec := record(c)
				handed := countHanded(c)
				var discs atomic.Int32
				c.OnDisconnect(func(client.Reason, error) { discs.Add(1) })
				connectMode(t, c, rec, p.URL, mode.name, nil)

				start := make(chan struct{})
				var accepted atomic.Int64
				var wg sync.WaitGroup
				for g := range senders {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						refused := 0
						for i := 0; refused < 5; i++ {
							err := c.Send(fmt.Sprintf("seq:g%d:%d", g, i))
							switch {
							case err == nil && refused > 0:
								t.Errorf("sender %d: Send accepted a message after refusing one", g)
								return
							case err == nil:
								accepted.Add(1)
							case errors.Is(err, client.ErrClosed):
								refused++
							default:
								t.Errorf("sender %d: unexpected error %v", g, err)
								return
							}
						}
					}()
				}
				fire := make(chan struct{})
				results := make(chan error, 3)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-fire
					err := c.Send("cmd:close")
					if err == nil {
						accepted.Add(1)
					}
					results <- err
				}()
				if race != "abort" {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-fire
						results <- c.Disconnect(testCtx(t, 10*time.Second))
					}()
				}
				if race != "disconnect" {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-fire
						c.Abort()
						results <- nil
					}()
				}
				close(start)
				require.Eventually(t, func() bool { return accepted.Load() >= 200 }, 5*time.Second, time.Millisecond,
					"the senders get under way")
				close(fire)
				wg.Wait()
				close(results)
				for err := range results {
					if err != nil {
						require.ErrorIs(t, err, client.ErrClosed)
					}
				}
				require.NoError(t, c.Wait(testCtx(t, 10*time.Second)))
				reason, rerr := c.Reason()
				require.Equal(t, reason, rec.disconnected(t, time.Second))
				require.Equal(t, int32(1), discs.Load(), "one disconnect per session")
				require.Equal(t, int(accepted.Load()), handed.total()+int(logs.notSent.Load()),
					"every accepted message is handed to a transport or reported as not sent")
				if race == "disconnect" && reason == client.ReasonClientDisconnect {
					require.Zero(t, logs.notSent.Load(), "a graceful Disconnect writes every message accepted before it")
				}
				t.Logf("reason %q: %d accepted, %d handed, %d reported not sent", reason, accepted.Load(), handed.total(), logs.notSent.Load())
				requireNoGoroutines(t)
				require.Contains(t, []client.Reason{client.ReasonClientDisconnect, client.ReasonServerDisconnect}, reason, "error: %v", rerr)
				requireNoGoroutines(t)
			})
		}
	}
}

// TestNodeConnectTwice calls Connect on a connected client, from one
// goroutine and from eight at once: exactly one Connect makes the
// connection, every other returns ErrAlreadyConnected without touching
// the live session; after Disconnect, Connect works again.
func TestNodeConnectTwice(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	other := startFront(t, p.URL)

	t.Run("sequential", func(t *testing.T) {
		c := client.New(nil)
		rec := record(c)
		connectMode(t, c, rec, p.URL, "websocket", nil)
		sid := c.SID()
		for _, u := range []string{p.URL, other.URL} {
			err := c.Connect(testCtx(t, 5*time.Second), u, nil)
			require.ErrorIs(t, err, client.ErrAlreadyConnected)
			require.NotErrorIs(t, err, client.ErrConnect)
		}
		require.Empty(t, other.requests(), "a refused Connect makes no request")
		require.Equal(t, sid, c.SID(), "the live session is untouched")
		require.NoError(t, c.Send("still here"))
		require.Equal(t, "still here", rec.next(t, 5*time.Second).Text())
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))

		require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil), "Connect after Disconnect")
		require.NotEqual(t, sid, c.SID())
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		requireNoGoroutines(t)
	})

	t.Run("concurrent", func(t *testing.T) {
		const callers = 8
		for _, mode := range modes {
			c := client.New(nil)
			var connects atomic.Int32
			c.OnConnect(func(client.ConnectInfo) { connects.Add(1) })
			start := make(chan struct{})
			errs := make(chan error, callers)
			for range callers {
				go func() {
					<-start
					errs <- c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: mode.transports})
				}()
			}
			close(start)
			ok := 0
			for range callers {
				err := within(t, errs, 15*time.Second, "Connect result")
				if err == nil {
					ok++
					continue
				}
				require.ErrorIs(t, err, client.ErrAlreadyConnected, mode.name)
			}
			require.Equal(t, 1, ok, "%s: exactly one Connect wins", mode.name)
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			require.Equal(t, int32(1), connects.Load(), "%s: one session", mode.name)
		}
		requireNoGoroutines(t)
	})
}

// TestNodeWaitFromManyGoroutines calls Wait from 16 goroutines: before
// Connect each returns nil at once; on a live session all block until the
// server closes it, then all return nil, each after the disconnect handler
// returned; those whose context ends first return its error.
func TestNodeWaitFromManyGoroutines(t *testing.T) {
	const waiters, impatient = 16, 4
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := client.New(nil)
			require.NoError(t, c.Wait(testCtx(t, time.Second)), "no connection: at once")
			rec := record(c)
			var handled atomic.Bool
			c.OnDisconnect(func(client.Reason, error) { handled.Store(true) })
			connectMode(t, c, rec, p.URL, mode.name, nil)

			type result struct {
				err     error
				handled bool
			}
			results := make(chan result, waiters)
			cancelCtx, cancel := context.WithCancel(context.Background())
			for i := range waiters {
				ctx := testCtx(t, 20*time.Second)
				if i < impatient {
					ctx = cancelCtx
				}
				go func() {
					err := c.Wait(ctx)
					results <- result{err, handled.Load()}
				}()
			}
			cancel()
			for range impatient {
				r := within(t, results, 5*time.Second, "an impatient Wait")
				require.ErrorIs(t, r.err, context.Canceled)
			}
			require.Empty(t, results, "Wait returned while the session is live")
			require.NoError(t, c.Send("cmd:close"))
			for range waiters - impatient {
				r := within(t, results, 10*time.Second, "Wait")
				require.NoError(t, r.err)
				require.True(t, r.handled, "Wait returned before the disconnect handler")
			}
			reason, _ := c.Reason()
			require.Equal(t, client.ReasonServerDisconnect, reason)
			requireNoGoroutines(t)
		})
	}
}

// TestNodeStopDuringConnect calls Disconnect or Abort while Connect waits
// for a handshake the server never answers: Connect returns at once with
// an error matching ErrConnect and context.Canceled,
// the stopping call returns, and nothing is left running.
func TestNodeStopDuringConnect(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	u := holdingFront(p, true)(t)
	for _, how := range []string{"disconnect", "abort"} {
		t.Run(how, func(t *testing.T) {
			c := client.New(nil)
			connected := make(chan error, 1)
			go func() { connected <- c.Connect(testCtx(t, 20*time.Second), u, nil) }()
			// Until Connect has made its connection, there is nothing to stop.
			require.Eventually(t, func() bool {
				if how == "abort" {
					if c.State() == client.State("handshaking") {
						c.Abort()
						return true
					}
					return false
				}
				err := c.Disconnect(testCtx(t, 5*time.Second))
				if err != nil && !errors.Is(err, client.ErrClosed) {
					t.Errorf("Disconnect: %v", err)
				}
				return err == nil
			}, 5*time.Second, time.Millisecond)
			err := within(t, connected, 5*time.Second, "Connect's return")
			require.ErrorIs(t, err, client.ErrConnect)
			require.ErrorIs(t, err, context.Canceled, "stopped, whichever saw it first")
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			require.ErrorIs(t, c.Send("x"), client.ErrClosed)
			requireNoGoroutines(t)
		})
	}
}
