package websocket

import (
	"context"
	"net"
	"net/http"
	"runtime"
	"sync"
	"syscall"
	"weak"
)

// corkLimit bounds the bytes a corked connection holds before it writes
// them through anyway.
const corkLimit = 256 << 10

// corkConn is the network connection under a WebSocket (under TLS when
// there is TLS). While corked it holds what is written and hands it to the
// network in one write when uncorked, so the frames of one Write of the
// transport cost one system call instead of one each.
type corkConn struct {
	net.Conn
	raw    syscall.RawConn // the connection's descriptor, for tryUncork; nil if it has none
	mu     sync.Mutex
	corked bool
	buf    []byte
}

// newCorkConn wraps conn.
func newCorkConn(conn net.Conn) *corkConn {
	c := &corkConn{Conn: conn}
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	return c
}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.corked {
		if len(c.buf)+len(p) <= corkLimit {
			c.buf = append(c.buf, p...)
			return len(p), nil
		}
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

func (c *corkConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.emptied()
	return err
}

// emptied forgets what was held, and a buffer grown past corkLimit.
func (c *corkConn) emptied() {
	c.buf = c.buf[:0]
	if cap(c.buf) > corkLimit {
		c.buf = nil
	}
}

// cork starts holding writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// canTry reports whether tryUncork can write without waiting.
func (c *corkConn) canTry() bool { return c.raw != nil && tryWriteSupported }

// tryUncork hands what is held to the network in one write that does not
// wait: done reports that all of it went, and the connection then stops
// holding. Otherwise the rest is still held, and uncork must follow.
func (c *corkConn) tryUncork() (done bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.buf) > 0 {
		n, err := tryWrite(c.raw, c.buf)
		c.buf = c.buf[:copy(c.buf, c.buf[n:])]
		if err != nil {
			return false, err
		}
		if len(c.buf) > 0 {
			return false, nil
		}
	}
	c.corked = false
	c.emptied()
	return true, nil
}

// uncork writes what was held and stops holding.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

// corkSlot receives the connection dialled for one WebSocket handshake.
// It travels to the dial in the handshake's context.
type corkSlot struct {
	mu   sync.Mutex
	conn *corkConn
}

func (s *corkSlot) get() *corkConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

type corkSlotKey struct{}

// withCorkSlot returns ctx carrying slot, for the corking dialer.
func withCorkSlot(ctx context.Context, slot *corkSlot) context.Context {
	return context.WithValue(ctx, corkSlotKey{}, slot)
}

// corkers caches the corking client made for each base client, so that
// the connections of one client share one transport instead of holding a
// clone each. An entry goes when its base client is garbage.
var corkers sync.Map // weak.Pointer[http.Client] → *http.Client

// corkingClient returns a client like hc whose transport wraps each new
// connection in a corkConn and puts it in the corkSlot of the dial's
// context. It returns hc unchanged when its transport is not an
// *http.Transport or dials by a hook of its own; the WebSocket then works
// as before, one system call per frame. The copy is made once per hc: hc
// must not be changed after its first use.
func corkingClient(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	key := weak.Make(hc)
	if c, ok := corkers.Load(key); ok {
		return c.(*http.Client)
	}
	c := makeCorking(hc)
	if c == hc {
		// Nothing to cache (and caching hc under its own weak key would
		// keep it alive for ever).
		return hc
	}
	if prev, loaded := corkers.LoadOrStore(key, c); loaded {
		return prev.(*http.Client)
	}
	runtime.AddCleanup(hc, func(k weak.Pointer[http.Client]) { corkers.Delete(k) }, key)
	return c
}

func makeCorking(hc *http.Client) *http.Client {
	var base *http.Transport
	switch tr := hc.Transport.(type) {
	case nil:
		base, _ = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		base = tr
	}
	if base == nil || !corkable(base) {
		return hc
	}
	if _, ok := corking.Load(weak.Make(base)); ok {
		return hc // dials already honour the cork slot
	}
	tr := base.Clone()
	// The transport serves handshakes only, whose connections are taken
	// over by the WebSocket: a refused one must not stay idle in a
	// transport that nobody closes.
	tr.DisableKeepAlives = true
	tr.DialContext = corkingDial(tr.DialContext)
	c := *hc
	c.Transport = tr
	return &c
}

// corkable reports whether tr dials by DialContext (or by default): a
// transport that dials by a deprecated hook, or dials TLS itself, is left
// alone, since wrapping DialContext would bypass the user's dialer.
func corkable(tr *http.Transport) bool {
	//lint:ignore SA1019 reading the deprecated hooks to respect them
	return tr.DialTLSContext == nil && tr.DialTLS == nil && tr.Dial == nil
}

// corkingDial wraps dial so that a dial whose context carries a corkSlot
// wraps its connection in a corkConn and puts it there.
func corkingDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		slot, _ := ctx.Value(corkSlotKey{}).(*corkSlot)
		if slot == nil {
			return conn, nil
		}
		cc := newCorkConn(conn)
		slot.mu.Lock()
		slot.conn = cc
		slot.mu.Unlock()
		return cc, nil
	}
}

// corking holds the transports prepared by EnableCorking.
var corking sync.Map // weak.Pointer[http.Transport] → struct{}

// EnableCorking prepares tr, a transport whose owner closes its idle
// connections, so that WebSocket handshakes made through it can hand the
// frames of one Write to the network in one system call: its dials are
// wrapped so that those of a handshake are held while a Write is under
// way, and the transport is then used as it is instead of through a
// clone made for handshakes. Other requests are not affected. Call it
// before tr is first used; it does nothing to a transport that dials by a
// deprecated hook or dials TLS itself.
func EnableCorking(tr *http.Transport) {
	if tr == nil || !corkable(tr) {
		return
	}
	key := weak.Make(tr)
	if _, loaded := corking.LoadOrStore(key, struct{}{}); loaded {
		return
	}
	tr.DialContext = corkingDial(tr.DialContext)
	runtime.AddCleanup(tr, func(k weak.Pointer[http.Transport]) { corking.Delete(k) }, key)
}
