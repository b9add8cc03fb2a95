package faultproxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mode says how a [Proxy] reads the traffic it carries.
type Mode uint8

// The modes.
const (
	// TCP forwards bytes; only the byte-level faults apply.
	TCP Mode = iota
	// HTTP reads HTTP/1.1 requests and responses, so that [Faults.Rules]
	// apply, and WebSocket frames after an upgrade, so that
	// [Faults.DropFrame] applies. The byte-level faults apply as well.
	HTTP
)

// dialTimeout bounds the connection to the target.
const dialTimeout = 5 * time.Second

// Proxy is a fault-injecting TCP proxy on 127.0.0.1 in front of one
// target. Its methods are safe for concurrent use.
type Proxy struct {
	mode   Mode
	target string
	ln     net.Listener
	ctx    context.Context // ends with Close; bounds dials
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and every connection goroutine

	mu       sync.Mutex
	faults   Faults
	gen      uint64        // bumped by every Set
	changed  chan struct{} // closed and replaced by every Set
	ruleHits []int         // per rule of faults, since the last Set
	conns    map[*conn]struct{}
	closed   bool
	accepted int
	hits     int
	requests []string
}

// New starts a proxy on 127.0.0.1 forwarding to target, a host:port or
// a URL whose host is used.
func New(target string, mode Mode) (*Proxy, error) {
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
	}
	target, _, _ = strings.Cut(target, "/")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{mode: mode, target: target, ln: ln, changed: make(chan struct{}), conns: map[*conn]struct{}{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Start is New for a test: it fails tb on error and closes the proxy in
// tb's cleanup.
func Start(tb testing.TB, target string, mode Mode) *Proxy {
	tb.Helper()
	p, err := New(target, mode)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns "http://" and the proxy's address.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Set replaces the faults, for open connections as well as new ones.
// Byte counts and rule counts start again from zero.
func (p *Proxy) Set(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.gen++
	p.ruleHits = make([]int, len(f.Rules))
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Clear removes every fault: Set(Faults{}).
func (p *Proxy) Clear() { p.Set(Faults{}) }

// current returns the faults, their generation, and a channel closed by
// the next Set.
func (p *Proxy) current() (Faults, uint64, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults, p.gen, p.changed
}

// match returns the fault of the first rule accepting r, or nil, and
// records the request.
func (p *Proxy) match(r *http.Request) HTTPFault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r.Method+" "+r.URL.RequestURI())
	for i, rule := range p.faults.Rules {
		if rule.Match != nil && !rule.Match(r) {
			continue
		}
		if rule.Times > 0 && p.ruleHits[i] >= rule.Times {
			continue
		}
		p.ruleHits[i]++
		p.hits++
		return rule.Fault
	}
	return nil
}

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Open returns how many connections are open.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Hits returns how many requests a rule has applied to.
func (p *Proxy) Hits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits
}

// Requests returns "METHOD URI" of every HTTP request seen so far.
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Close stops the proxy: it closes the listener and every connection and
// returns once all its goroutines have ended.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := make([]*conn, 0, len(p.conns))
	for cn := range p.conns {
		conns = append(conns, cn)
	}
	p.mu.Unlock()
	p.cancel()
	err := p.ln.Close()
	for _, cn := range conns {
		cn.close()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c.(*net.TCPConn))
		}()
	}
}

// serve dials the target for client connection c and starts the
// connection's goroutines.
func (p *Proxy) serve(c *net.TCPConn) {
	ctx, cancel := context.WithTimeout(p.ctx, dialTimeout)
	u, err := (&net.Dialer{}).DialContext(ctx, "tcp", p.target)
	cancel()
	if err != nil {
		_ = c.Close()
		return
	}
	cn := newConn(p, c, u.(*net.TCPConn))
	if !p.track(cn) {
		return
	}
	p.start(cn.up.run, cn.down.run)
	if p.mode == HTTP {
		cn.serveHTTP()
		return
	}
	p.start(func() { cn.down.pump(cn.u) })
	cn.up.pump(cn.c)
}

// start runs each f on a goroutine the proxy waits for.
func (p *Proxy) start(fs ...func()) {
	for _, f := range fs {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			f()
		}()
	}
}

// track records cn, or closes it when the proxy is closed.
func (p *Proxy) track(cn *conn) bool {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cn.close()
		return false
	}
	p.accepted++
	p.conns[cn] = struct{}{}
	p.mu.Unlock()
	return true
}

func (p *Proxy) untrack(cn *conn) {
	p.mu.Lock()
	delete(p.conns, cn)
	p.mu.Unlock()
}
