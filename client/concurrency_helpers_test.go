package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
)

// logCounter is a slog.Handler that counts what the concurrency and
// delivery tests need from the client's log: the messages it reports as
// not sent (the only report of a send failure the client makes) and the
// pings it reads, which the run loop logs itself, so they are counted
// even while a handler blocks the dispatcher.
type logCounter struct {
	notSent atomic.Int64 // sum of "count" of "eio: messages not sent"
	pingsIn atomic.Int64 // inbound ping packets
	in      atomic.Int64 // inbound packets of any type
	mu      sync.Mutex
	errs    []string // the "error" of each "eio: messages not sent"
}

func (l *logCounter) logger() *slog.Logger { return slog.New(l) }

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logCounter) WithGroup(string) slog.Handler            { return l }

func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	switch r.Message {
	case "eio: messages not sent":
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "count":
				l.notSent.Add(a.Value.Int64())
			case "error":
				l.mu.Lock()
				l.errs = append(l.errs, a.Value.String())
				l.mu.Unlock()
			}
			return true
		})
	case "eio: packet in":
		l.in.Add(1)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "packet" && (a.Value.String() == "ping" || strings.HasPrefix(a.Value.String(), "ping ")) {
				l.pingsIn.Add(1)
			}
			return true
		})
	}
	return nil
}

// handedCounter counts the message packets a client hands to its
// transports (OnPacket, outbound), per transport.
type handedCounter struct {
	mu  sync.Mutex
	per map[string]int
}

func countHanded(c *client.Client) *handedCounter {
	h := &handedCounter{per: map[string]int{}}
	c.OnPacket(func(dir client.Direction, transport string, p codec.Packet) {
		if dir != client.Outbound {
			return
		}
		if p.Type == codec.Message {
			h.mu.Lock()
			h.per[transport]++
			h.mu.Unlock()
		}
	})
	return h
}

func (h *handedCounter) on(transport string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.per[transport]
}

func (h *handedCounter) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, v := range h.per {
		n += v
	}
	return n
}

// statsReplies registers a message handler that passes the peer's
// "stats:" replies on.
func statsReplies(c *client.Client) <-chan peer.SeqStats {
	ch := make(chan peer.SeqStats, 4)
	c.OnMessage(func(m client.Message) {
		if s, ok := strings.CutPrefix(m.Text(), "stats:"); ok {
			var st peer.SeqStats
			if json.Unmarshal([]byte(s), &st) == nil {
				ch <- st
			}
		}
	})
	return ch
}

// serverStats asks the peer for the session's sequence count.
func serverStats(t *testing.T, c *client.Client, replies <-chan peer.SeqStats) peer.SeqStats {
	t.Helper()
	require.NoError(t, c.Send("cmd:stats"))
	return within(t, replies, 15*time.Second, "stats from the peer")
}

// sendSequences sends "seq:g<g>:<i>" for i below each from senders
// goroutines at once (the peer checks each g's order), and returns when
// they are done; a refused Send fails the test.
func sendSequences(t *testing.T, c *client.Client, senders, each int) {
	t.Helper()
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := c.Send(fmt.Sprintf("seq:g%d:%d", g, i)); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
