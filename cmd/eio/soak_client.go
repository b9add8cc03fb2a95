package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eio-go/eio/client"
)

// soakClient is one client of the soak and what it saw. Its messages are
// "k<id>:<n>:<unix ns>:" padded to the configured size; the server echoes
// them, and the client checks that echo n follows echo n-1.
type soakClient struct {
	id   int
	c    *client.Client
	run  *soakRun
	live atomic.Bool // connected and not disconnected since

	sent atomic.Int64 // accepted by Send; only the sender goroutine adds

	mu         sync.Mutex
	received   int64
	next       int64 // the n expected next
	outOfOrder int64
	duplicates int64
	foreign    int64
	latencies  []time.Duration
	pings      int64
	lastPing   time.Time
	maxGap     time.Duration
	gone       bool          // disconnected while the soak did not ask it to
	goneWhy    string        // reason: error
	goneAt     time.Duration // when, from the run's first connect
	closeWhy   string        // the reason of the disconnect the soak asked for
}

func newSoakClient(run *soakRun, id int) *soakClient {
	sc := &soakClient{id: id, run: run, c: client.New(nil)}
	sc.c.OnMessage(sc.onMessage)
	sc.c.OnPing(sc.onPing)
	sc.c.OnDisconnect(sc.onDisconnect)
	return sc
}

// connect opens the client's session.
func (sc *soakClient) connect(ctx context.Context, url string, transports []string) error {
	if err := sc.c.Connect(ctx, url, &client.ConnectOptions{Transports: transports}); err != nil {
		return err
	}
	sc.mu.Lock()
	sc.lastPing = time.Now() // the handshake starts the heartbeat
	sc.mu.Unlock()
	sc.live.Store(true)
	return nil
}

// message returns the client's n-th message.
func (sc *soakClient) message(n int64, size int) string {
	s := "k" + strconv.Itoa(sc.id) + ":" + strconv.FormatInt(n, 10) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10) + ":"
	if len(s) < size {
		s += strings.Repeat(".", size-len(s))
	}
	return s
}

// send sends the next message; a refused send is counted by the caller.
func (sc *soakClient) send(size int) error {
	if err := sc.c.SendText(sc.message(sc.sent.Load(), size)); err != nil {
		return err
	}
	sc.sent.Add(1)
	return nil
}

func (sc *soakClient) onMessage(m client.Message) {
	now := time.Now()
	parts := strings.SplitN(m.Text(), ":", 4)
	var n, ns int64
	var err1, err2 error
	if len(parts) == 4 {
		n, err1 = strconv.ParseInt(parts[1], 10, 64)
		ns, err2 = strconv.ParseInt(parts[2], 10, 64)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	switch {
	case len(parts) != 4 || parts[0] != "k"+strconv.Itoa(sc.id) || err1 != nil || err2 != nil:
		sc.foreign++
		return
	case n < sc.next:
		sc.duplicates++
		return
	case n > sc.next:
		sc.outOfOrder++
	}
	sc.next = n + 1
	sc.received++
	sc.latencies = append(sc.latencies, now.Sub(time.Unix(0, ns)))
}

func (sc *soakClient) onPing() {
	now := time.Now()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.pings++
	if !sc.lastPing.IsZero() {
		sc.maxGap = max(sc.maxGap, now.Sub(sc.lastPing))
	}
	sc.lastPing = now
}

func (sc *soakClient) onDisconnect(reason client.Reason, err error) {
	sc.live.Store(false)
	why := string(reason)
	if err != nil {
		why += ": " + firstLine(err.Error())
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.run.stopping.Load() {
		sc.closeWhy = string(reason)
		if reason != client.ReasonClientDisconnect {
			sc.closeWhy = why
		}
		return
	}
	sc.gone, sc.goneWhy, sc.goneAt = true, why, time.Since(sc.run.start)
	if n := sc.run.gone.Add(1); n <= 20 {
		fmt.Fprintf(sc.run.log, "eio soak: +%.1fs client %d disconnected during the run: %s\n", sc.goneAt.Seconds(), sc.id, why)
	}
}

// outstanding returns how many of its messages have not come back yet.
func (sc *soakClient) outstanding() int64 {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.sent.Load() - sc.received - sc.duplicates
}

// stop disconnects the client and waits for it to let go of everything.
func (sc *soakClient) stop(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	err := sc.c.Disconnect(ctx)
	if errors.Is(err, client.ErrClosed) {
		err = nil // it was down already; its disconnect was counted
	}
	if err != nil {
		err = fmt.Errorf("disconnect: %w", err)
	}
	if werr := sc.c.Wait(ctx); werr != nil && err == nil {
		err = fmt.Errorf("wait: %w", werr)
	}
	return err
}

// add adds what the client saw to the result.
func (sc *soakClient) add(r *soakResult) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sent := sc.sent.Load()
	r.sent += sent
	r.received += sc.received
	missing := max(0, sent-sc.received)
	if sc.gone {
		r.lostDisconnected += missing
		r.unexpected[sc.goneWhy]++
		r.goneAt = append(r.goneAt, sc.goneAt)
	} else {
		r.lost += missing
	}
	if sc.closeWhy != "" && sc.closeWhy != string(client.ReasonClientDisconnect) {
		r.closeOdd[sc.closeWhy]++
	}
	r.outOfOrder += sc.outOfOrder
	r.duplicates += sc.duplicates
	r.foreign += sc.foreign
	r.pings += sc.pings
	r.maxPingGap = max(r.maxPingGap, sc.maxGap)
	r.latencies = append(r.latencies, sc.latencies...)
}
