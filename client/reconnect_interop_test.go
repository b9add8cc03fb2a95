package client_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// reconnects records a client's reconnection handlers.
type reconnects struct {
	mu       sync.Mutex
	attempts []int
	delays   []time.Duration
	failed   chan error
	done     chan client.ConnectInfo
	connects chan client.ConnectInfo
	discs    chan client.Reason
}

func recordReconnects(c *client.Client) *reconnects {
	r := &reconnects{failed: make(chan error, 4), done: make(chan client.ConnectInfo, 16),
		connects: make(chan client.ConnectInfo, 16), discs: make(chan client.Reason, 16)}
	c.OnReconnecting(func(n int, d time.Duration) {
		r.mu.Lock()
		r.attempts = append(r.attempts, n)
		r.delays = append(r.delays, d)
		r.mu.Unlock()
	})
	c.OnReconnected(func(n int, info client.ConnectInfo) { r.done <- info })
	c.OnReconnectFailed(func(n int, err error) { r.failed <- err })
	c.OnConnect(func(info client.ConnectInfo) { r.connects <- info })
	c.OnDisconnect(func(reason client.Reason, _ error) { r.discs <- reason })
	return r
}

func (r *reconnects) tries() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.attempts...)
}

func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
		var zero T
		return zero
	}
}

var fastRetry = &client.ReconnectPolicy{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond, Multiplier: 2}

// TestNodeReconnectAfterRestart restarts the server under a session in
// every mode: the client reconnects to the new process with a new sid and
// the connection carries on; Wait returns only after Disconnect.
func TestNodeReconnectAfterRestart(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := client.New(&client.Options{Reconnect: fastRetry})
			r := recordReconnects(c)
			rec := record(c)
			connectMode(t, c, rec, p.URL, mode.name, nil)
			first := within(t, r.connects, time.Second, "connect")

			require.NoError(t, p.Restart(t))
			reason := within(t, r.discs, 10*time.Second, "disconnect")
			require.Contains(t, []client.Reason{client.ReasonServerDisconnect, client.ReasonTransportError}, reason)
			info := within(t, r.done, 10*time.Second, "reconnection")
			require.NotEqual(t, first.SID, info.SID)
			require.Equal(t, info.SID, within(t, r.connects, time.Second, "connect").SID, "OnConnect runs for the new session")
			require.NotEmpty(t, r.tries())
			require.Equal(t, 1, r.tries()[0])
			if mode.final != mode.first {
				rec.upgraded(t, 5*time.Second)
			}
			require.NoError(t, c.Send("after the restart"))
			require.Equal(t, "after the restart", rec.next(t, 5*time.Second).Text())

			waited := make(chan error, 1)
			go func() { waited <- c.Wait(testCtx(t, 20*time.Second)) }()
			select {
			case <-waited:
				t.Fatal("Wait returned while the connection was up")
			default:
			}
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.NoError(t, within(t, waited, 5*time.Second, "Wait"))
			require.Equal(t, client.ReasonClientDisconnect, within(t, r.discs, time.Second, "disconnect"))
			requireNoGoroutines(t)
		})
	}
}

// TestNodeReconnectGivesUp stops the server for good: the client tries
// MaxAttempts times with growing delays, reports the failure, and Wait
// returns.
func TestNodeReconnectGivesUp(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	c := client.New(&client.Options{RequestTimeout: time.Second,
		Reconnect: &client.ReconnectPolicy{MaxAttempts: 3, Initial: 10 * time.Millisecond, Multiplier: 3}})
	r := recordReconnects(c)
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))
	p.Stop()
	err := within(t, r.failed, 20*time.Second, "give-up")
	require.ErrorIs(t, err, client.ErrConnect)
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	require.Equal(t, []int{1, 2, 3}, r.tries())
	r.mu.Lock()
	require.Equal(t, []time.Duration{10 * time.Millisecond, 30 * time.Millisecond, 90 * time.Millisecond}, r.delays)
	r.mu.Unlock()
	require.ErrorIs(t, c.Send("x"), client.ErrClosed)
	require.ErrorIs(t, c.Disconnect(testCtx(t, time.Second)), client.ErrClosed)
	requireNoGoroutines(t)
}

// TestNodeReconnectStopped ends a pending reconnection with Disconnect or
// Abort: neither waits for the delay, no attempt follows, and the give-up
// handler is not called.
func TestNodeReconnectStopped(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, abort := range []bool{false, true} {
		c := client.New(&client.Options{Reconnect: &client.ReconnectPolicy{Initial: time.Hour}})
		r := recordReconnects(c)
		require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))
		require.NoError(t, c.Send("cmd:close"))
		require.Equal(t, client.ReasonServerDisconnect, within(t, r.discs, 5*time.Second, "disconnect"))
		require.Eventually(t, func() bool { return len(r.tries()) == 1 }, 5*time.Second, 5*time.Millisecond)
		require.ErrorIs(t, c.Send("between attempts"), client.ErrClosed)
		require.Equal(t, "", c.Transport())
		start := time.Now()
		if abort {
			c.Abort()
		} else {
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		}
		require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, []int{1}, r.tries())
		require.Empty(t, r.failed)
		requireNoGoroutines(t)
	}
}

// TestNodeReconnectPolicyRetry leaves reconnection off by default and
// lets Retry decline a reason.
func TestNodeReconnectPolicyRetry(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, opts := range []*client.Options{
		nil,
		{Reconnect: &client.ReconnectPolicy{Retry: func(r client.Reason, err error) bool {
			return r != client.ReasonServerDisconnect && !errors.Is(err, client.ErrClosed)
		}}},
	} {
		c := client.New(opts)
		r := recordReconnects(c)
		require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))
		require.NoError(t, c.Send("cmd:close"))
		require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
		require.Equal(t, client.ReasonServerDisconnect, <-r.discs)
		require.Empty(t, r.tries())
	}
	requireNoGoroutines(t)
}

// TestReconnectDelay checks the backoff arithmetic and the jitter bounds.
func TestReconnectDelay(t *testing.T) {
	p := &client.ReconnectPolicy{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		require.Equal(t, w*time.Millisecond, p.Delay(i+1), "attempt %d", i+1)
	}
	zero := &client.ReconnectPolicy{}
	require.Equal(t, client.DefaultReconnectInitial, zero.Delay(1))
	require.Equal(t, 2*client.DefaultReconnectInitial, zero.Delay(2))
	require.Equal(t, client.DefaultReconnectMax, zero.Delay(100))
	j := &client.ReconnectPolicy{Initial: time.Second, Jitter: 0.5}
	for range 100 {
		d := j.Delay(1)
		require.GreaterOrEqual(t, d, 500*time.Millisecond)
		require.LessOrEqual(t, d, 1500*time.Millisecond)
	}
}
