package client_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// TestNodeBlockedHandlerKeepsHeartbeat blocks the message handler — the
// package doc says handlers run on a goroutine of the connection, never on
// its run loop — while the server pings every 100 ms and gives up after
// 200 ms more. The run loop goes on answering: the client counts ten
// pings read while the handler is blocked (three times the deadline and
// more), the session stays open on both sides, Send still works, and once
// the handler returns the queued events follow in order.
func TestNodeBlockedHandlerKeepsHeartbeat(t *testing.T) {
	const interval, timeout, pings = 100 * time.Millisecond, 200 * time.Millisecond, 10
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: interval, PingTimeout: timeout})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			logs := &logCounter{}
			c := client.New(&client.Options{Logger: logs.logger()})
			rec := record(c)
			blocked, release := blockOn(c)
			connectMode(t, c, rec, p.URL, mode.name, nil)
			sid := c.SID()
			require.NoError(t, c.Send("block"))
			within(t, blocked, 5*time.Second, "the blocking message")
			from, handled := logs.pingsIn.Load(), rec.pingCount()
			require.Eventually(t, func() bool { return logs.pingsIn.Load() >= from+pings }, 5*time.Second, 5*time.Millisecond,
				"the run loop reads pings while the handler blocks")
			require.Equal(t, client.State("open"), c.State())
			require.Equal(t, handled, rec.pingCount(), "the ping handler waits for the blocked handler")
			sessions, err := p.Sessions(testCtx(t, 5*time.Second))
			require.NoError(t, err)
			require.True(t, sessions.IsOpen(sid), "the server saw its pings answered")
			require.NoError(t, c.Send("while blocked"))

			close(release)
			require.Equal(t, "block", rec.next(t, 5*time.Second).Text())
			require.Equal(t, "while blocked", rec.next(t, 5*time.Second).Text())
			require.GreaterOrEqual(t, rec.pingCount(), handled+pings, "the queued ping handler calls follow")
			require.Empty(t, rec.discCh, "no disconnect")
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
			requireNoGoroutines(t)
		})
	}
}

// TestNodeHandlersRaceCallers runs handlers that call Send, Disconnect and
// Abort while other goroutines call the same methods.
func TestNodeHandlersRaceCallers(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})

	// The message handler answers each "chain:n" echo with "chain:n+1"
	// while eight goroutines send numbered messages: the chain completes
	// in order and the server counts every other message once, in order.
	t.Run("send", func(t *testing.T) {
		const senders, each, links = 8, 300, 200
		for _, mode := range modes {
			c := client.New(nil)
			rec := record(c)
			replies := statsReplies(c)
			chain := make(chan int, links+1)
			c.OnMessage(func(m client.Message) {
				n, err := strconv.Atoi(strings.TrimPrefix(m.Text(), "chain:"))
				if err != nil {
					return
				}
				chain <- n
				if n < links {
					if err := c.Send(fmt.Sprint("chain:", n+1)); err != nil {
						t.Errorf("send from the handler: %v", err)
					}
				}
			})
			connectMode(t, c, rec, p.URL, mode.name, nil)
			require.NoError(t, c.Send("chain:0"))
			sendSequences(t, c, senders, each)
			for want := range links + 1 {
				require.Equal(t, want, within(t, chain, 10*time.Second, "the chain"), mode.name)
			}
			st := serverStats(t, c, replies)
			require.Equal(t, senders*each, st.Received, mode.name)
			require.Zero(t, st.OutOfOrder+st.Duplicates, mode.name)
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
		}
		requireNoGoroutines(t)
	})

	// A message handler calls Disconnect or Abort while the test goroutine
	// calls Disconnect or Abort: all return, without deadlock, with nil or
	// ErrClosed, and the session ends once, as a client disconnect.
	t.Run("disconnect", func(t *testing.T) {
		for _, mode := range modes {
			for _, combo := range [][2]string{{"disconnect", "disconnect"}, {"abort", "disconnect"}, {"disconnect", "abort"}, {"abort", "abort"}} {
				c := client.New(nil)
				rec := record(c)
				var discs atomic.Int32
				c.OnDisconnect(func(client.Reason, error) { discs.Add(1) })
				stop := func(how string) error {
					if how == "abort" {
						c.Abort()
						return nil
					}
					return c.Disconnect(testCtx(t, 10*time.Second))
				}
				inHandler := make(chan error, 1)
				c.OnMessage(func(m client.Message) {
					if m.Text() == "stop" {
						inHandler <- stop(combo[0])
					}
				})
				connectMode(t, c, rec, p.URL, mode.name, nil)
				require.NoError(t, c.Send("stop"))
				within(t, rec.msgCh, 5*time.Second, "the echo") // the recorder's handler runs first
				outside := stop(combo[1])
				for _, err := range []error{outside, within(t, inHandler, 10*time.Second, "the handler's "+combo[0])} {
					if err != nil && !errors.Is(err, client.ErrClosed) {
						t.Fatalf("%s %v: %v", mode.name, combo, err)
					}
				}
				require.NoError(t, c.Wait(testCtx(t, 10*time.Second)))
				require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second), "%s %v", mode.name, combo)
				require.Equal(t, int32(1), discs.Load())
			}
		}
		requireNoGoroutines(t)
	})
}

// TestNodeBlockedHandlerPastBacklog blocks the message handler while the
// server sends 3,000 messages and pings every 200 ms (timeout 400 ms).
// Past the dispatcher's bound on waiting handler calls (1,024) the reader
// stops reading, so the pings are not read either: a handler blocked that
// long ends the session with a ping timeout, cleanly and with bounded
// memory, instead of queuing without end. Once the handler returns, the
// messages read before the stop follow in order, then the disconnect.
func TestNodeBlockedHandlerPastBacklog(t *testing.T) {
	const burst = 3000
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 200 * time.Millisecond, PingTimeout: 400 * time.Millisecond})
	c := client.New(nil)
	rec := record(c)
	blocked, release := blockOn(c)
	connectMode(t, c, rec, p.URL, "websocket", nil)
	require.NoError(t, c.Send("block"))
	within(t, blocked, 5*time.Second, "the blocking message")
	require.NoError(t, c.Send(fmt.Sprint("cmd:burst:", burst)))
	require.Eventually(t, func() bool {
		r, _ := c.Reason()
		return r == client.ReasonPingTimeout
	}, 10*time.Second, 10*time.Millisecond, "the session ends while the handler blocks")

	close(release)
	require.Equal(t, client.ReasonPingTimeout, rec.disconnected(t, 10*time.Second))
	// The message handler calls came before the disconnect handler's.
	require.Equal(t, "block", rec.next(t, time.Second).Text())
	got := 0
	for len(rec.msgCh) > 0 {
		require.Equal(t, fmt.Sprint("burst:", got), (<-rec.msgCh).Text(), "in order")
		got++
	}
	t.Logf("%d of %d messages read before the reader stopped", got, burst)
	require.Less(t, got, burst, "the reader stopped")
	require.GreaterOrEqual(t, got, 1000, "about 1,024 handler calls wait before the reader stops")
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	requireNoGoroutines(t)
}

// blockOn registers a message handler that, on the message "block",
// closes blocked and then waits until release is closed.
func blockOn(c *client.Client) (blocked, release chan struct{}) {
	blocked, release = make(chan struct{}), make(chan struct{})
	c.OnMessage(func(m client.Message) {
		if m.Text() == "block" {
			close(blocked)
			<-release
		}
	})
	return blocked, release
}
