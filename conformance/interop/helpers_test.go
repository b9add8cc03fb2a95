package interop

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eio-go/eio/client"
)

// recorder collects a client's handler calls.
type recorder struct {
	mu     sync.Mutex
	pings  int
	reason client.Reason
	err    error
	info   client.ConnectInfo

	connCh chan client.ConnectInfo
	msgCh  chan client.Message
	upCh   chan string
	discCh chan client.Reason
}

func record(c *client.Client) *recorder {
	r := &recorder{connCh: make(chan client.ConnectInfo, 1), msgCh: make(chan client.Message, 20000),
		upCh: make(chan string, 4), discCh: make(chan client.Reason, 1)}
	c.OnConnect(func(ci client.ConnectInfo) {
		r.mu.Lock()
		r.info = ci
		r.mu.Unlock()
		select {
		case r.connCh <- ci:
		default:
		}
	})
	c.OnMessage(func(m client.Message) {
		select {
		case r.msgCh <- m:
		default: // a runaway server; the test will miss messages and say so
		}
	})
	c.OnUpgrade(func(tr string) {
		select {
		case r.upCh <- tr:
		default:
		}
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

func (r *recorder) connectInfo() client.ConnectInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info
}

// connected waits for the connect handler (it runs after Connect returns).
func (r *recorder) connected(t testing.TB, within time.Duration) client.ConnectInfo {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case ci := <-r.connCh:
		r.connCh <- ci
		return ci
	case <-timer.C:
		t.Fatalf("no connect handler call within %v", within)
	}
	return client.ConnectInfo{}
}

// disconnectErr returns the error the disconnect handler got.
func (r *recorder) disconnectErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// next waits for the next message.
func (r *recorder) next(t testing.TB, within time.Duration) client.Message {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case m := <-r.msgCh:
		return m
	case reason := <-r.discCh:
		r.discCh <- reason // keep it for disconnected
		t.Fatalf("session ended (%s: %v) while waiting for a message", reason, r.disconnectErr())
	case <-timer.C:
		t.Fatalf("no message within %v", within)
	}
	return client.Message{}
}

// disconnected waits for the disconnect handler.
func (r *recorder) disconnected(t testing.TB, within time.Duration) client.Reason {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case reason := <-r.discCh:
		r.discCh <- reason
		return reason
	case <-timer.C:
		t.Fatalf("no disconnect within %v", within)
	}
	return ""
}

// upgraded waits for an upgrade.
func (r *recorder) upgraded(t testing.TB, within time.Duration) string {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	select {
	case tr := <-r.upCh:
		return tr
	case <-timer.C:
		t.Fatalf("no upgrade within %v", within)
	}
	return ""
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
