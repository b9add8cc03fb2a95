package client_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/eio-go/eio/client"
)

// recorder collects a client's handler calls for assertions.
type recorder struct {
	mu       sync.Mutex
	messages []client.Message
	upgrades []string
	states   []client.StateChange
	pings    int
	reason   client.Reason
	err      error

	msgCh  chan client.Message
	upCh   chan string
	discCh chan client.Reason
}

func record(c *client.Client) *recorder {
	r := &recorder{msgCh: make(chan client.Message, 10000), upCh: make(chan string, 64), discCh: make(chan client.Reason, 64)}
	c.OnMessage(func(m client.Message) {
		r.mu.Lock()
		r.messages = append(r.messages, m)
		r.mu.Unlock()
		r.msgCh <- m
	})
	c.OnUpgrade(func(tr string) {
		r.mu.Lock()
		r.upgrades = append(r.upgrades, tr)
		r.mu.Unlock()
		r.upCh <- tr
	})
	c.OnStateChange(func(ch client.StateChange) {
		r.mu.Lock()
		r.states = append(r.states, ch)
		r.mu.Unlock()
	})
	c.OnPing(func() {
		r.mu.Lock()
		r.pings++
		r.mu.Unlock()
	})
	c.OnDisconnect(func(reason client.Reason, err error) {
		r.mu.Lock()
		r.reason, r.err = reason, err
		r.mu.Unlock()
		r.discCh <- reason
	})
	return r
}

func (r *recorder) pingCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pings
}

// next waits for the next message.
func (r *recorder) next(t *testing.T, within time.Duration) client.Message {
	t.Helper()
	select {
	case m := <-r.msgCh:
		return m
	case <-time.After(within):
		t.Fatalf("no message within %v", within)
		return client.Message{}
	}
}

// disconnected waits for the disconnect handler.
func (r *recorder) disconnected(t *testing.T, within time.Duration) client.Reason {
	t.Helper()
	select {
	case reason := <-r.discCh:
		return reason
	case <-time.After(within):
		t.Fatalf("no disconnect within %v", within)
		return ""
	}
}

// upgraded waits for an upgrade.
func (r *recorder) upgraded(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case tr := <-r.upCh:
		return tr
	case <-time.After(within):
		t.Fatalf("no upgrade within %v", within)
		return ""
	}
}

// ourGoroutines returns the stacks of live goroutines started by this
// module's library packages or by coder/websocket.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "created by github.com/eio-go/eio/client.") ||
			strings.Contains(g, "created by github.com/eio-go/eio/transports") ||
			strings.Contains(g, "created by github.com/coder/websocket") {
			out = append(out, g)
		}
	}
	return out
}

// requireNoGoroutines fails when goroutines of the client outlive its
// session. A goroutine takes a moment to unwind after it signalled its
// owner, so the check is repeated for a bounded time.
func requireNoGoroutines(t *testing.T) {
	t.Helper()
	if !assert.Eventually(t, func() bool { return len(ourGoroutines()) == 0 }, 3*time.Second, 10*time.Millisecond) {
		t.Fatalf("goroutines left after the session ended:\n%s", strings.Join(ourGoroutines(), "\n\n"))
	}
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// requireNoHTTPConns fails while kept-alive HTTP client connections are
// left: with no Options.HTTPClient, the client's own transport must drop
// them when its connection ends. Only meaningful in tests whose other HTTP
// clients keep no connections alive.
func requireNoHTTPConns(t *testing.T) {
	t.Helper()
	conns := func() []string {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var out []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "net/http.(*persistConn)") {
				out = append(out, g)
			}
		}
		return out
	}
	if !assert.Eventually(t, func() bool { return len(conns()) == 0 }, 3*time.Second, 10*time.Millisecond) {
		t.Fatalf("HTTP connections left after the session ended:\n%s", strings.Join(conns(), "\n\n"))
	}
}
