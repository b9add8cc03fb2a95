package replay

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/trace"
	"github.com/eio-go/eio/fsm"
)

// Divergence is the first difference between what the client did and what
// the recording shows.
type Divergence struct {
	// Transport names the packet stream ("polling" or "websocket"); it is
	// empty for a difference in how the session ended.
	Transport string
	// Dir is the stream's direction; the replay compares the client's
	// packets, so it is always trace.ClientToServer.
	Dir trace.Direction
	// Index is the packet's position in the stream, from 0; -1 when the
	// difference is not about one packet.
	Index int
	// Expected is the recorded packet, nil when the recording has none at
	// Index.
	Expected *codec.Packet
	// Got is the client's packet, nil when it sent none.
	Got *codec.Packet
	// State is the client's lifecycle state when the difference was seen.
	State fsm.State
	// Msg says what happened in words.
	Msg string
}

// String renders the divergence on one line.
func (d *Divergence) String() string {
	var b strings.Builder
	if d.Transport != "" {
		fmt.Fprintf(&b, "%s %s packet #%d: expected %s, got %s", d.Transport, d.Dir, d.Index,
			describe(d.Expected), describe(d.Got))
	} else {
		b.WriteString("session")
	}
	fmt.Fprintf(&b, " (client state %s)", d.State)
	if d.Msg != "" {
		b.WriteString(": ")
		b.WriteString(d.Msg)
	}
	return b.String()
}

func describe(p *codec.Packet) string {
	if p == nil {
		return "nothing"
	}
	return p.String()
}

func samePacket(a, b codec.Packet) bool {
	return a.Type == b.Type && a.Binary == b.Binary && bytes.Equal(a.Data, b.Data)
}

// checker compares the client's packets with the recorded streams as they
// arrive. It is shared by the server's handlers and the driver.
type checker struct {
	mu    sync.Mutex
	exp   map[string][]codec.Packet
	got   map[string][]codec.Packet
	at    map[string][]time.Time
	div   *Divergence
	state func() fsm.State
	bell  *bell
	// stopped is closed at the first divergence.
	stopped chan struct{}
}

func newChecker(exp map[string][]codec.Packet, state func() fsm.State, b *bell) *checker {
	return &checker{
		exp:     exp,
		got:     map[string][]codec.Packet{},
		at:      map[string][]time.Time{},
		state:   state,
		bell:    b,
		stopped: make(chan struct{}),
	}
}

// packet checks one packet the client sent on transport.
func (c *checker) packet(transport string, p codec.Packet) {
	p.Data = append([]byte(nil), p.Data...)
	c.mu.Lock()
	i := len(c.got[transport])
	c.got[transport] = append(c.got[transport], p)
	c.at[transport] = append(c.at[transport], time.Now())
	exp := c.exp[transport]
	switch {
	case i < len(exp) && samePacket(exp[i], p):
	case i >= len(exp) && transport == trace.WebSocket && p.Type == codec.Close:
		// A close packet before closing a WebSocket, where the recorded
		// client just closed it: allowed.
	case i < len(exp):
		e := exp[i]
		c.divergeLocked(&Divergence{Transport: transport, Index: i, Expected: &e, Got: &p})
	default:
		c.divergeLocked(&Divergence{Transport: transport, Index: i, Got: &p,
			Msg: "the recording has no more client packets on " + transport})
	}
	c.mu.Unlock()
	c.bell.ring()
}

// diverge records d unless a divergence is already known.
func (c *checker) diverge(d *Divergence) {
	c.mu.Lock()
	c.divergeLocked(d)
	c.mu.Unlock()
	c.bell.ring()
}

func (c *checker) divergeLocked(d *Divergence) {
	if c.div != nil {
		return
	}
	d.Dir = trace.ClientToServer
	if d.Transport == "" {
		d.Dir = 0
	}
	if d.State == "" {
		d.State = c.state()
	}
	c.div = d
	close(c.stopped)
}

// count returns how many packets arrived on transport.
func (c *checker) count(transport string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got[transport])
}

// arrival returns when packet idx of transport arrived.
func (c *checker) arrival(r clientRef) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.idx < 0 || r.idx >= len(c.at[r.transport]) {
		return time.Time{}, false
	}
	return c.at[r.transport][r.idx], true
}

// missing returns the first recorded packet that has not arrived, on any
// transport, as a divergence; nil when everything arrived. A trailing
// close packet on a WebSocket may be missing: clients may just close it.
func (c *checker) missing(need map[string]int) *Divergence {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range []string{trace.Polling, trace.WebSocket} {
		n := len(c.exp[t])
		if need != nil {
			n = need[t]
		}
		i := len(c.got[t])
		if i >= n {
			continue
		}
		if need == nil && t == trace.WebSocket && i == n-1 && c.exp[t][i].Type == codec.Close {
			continue
		}
		e := c.exp[t][i]
		return &Divergence{Transport: t, Index: i, Expected: &e}
	}
	return nil
}

func (c *checker) divergence() *Divergence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.div
}

func (c *checker) snapshot() map[string][]codec.Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]codec.Packet{}
	for k, v := range c.got {
		out[k] = append([]codec.Packet(nil), v...)
	}
	return out
}

// bell wakes every waiter when something changed.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBell() *bell { return &bell{ch: make(chan struct{})} }

// wait returns a channel closed at the next ring.
func (b *bell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *bell) ring() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}
