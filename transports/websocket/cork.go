package websocket

import (
	"context"
	"net"
	"net/http"
	"sync"
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
	mu     sync.Mutex
	corked bool
	buf    []byte
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
	c.buf = c.buf[:0]
	if cap(c.buf) > corkLimit {
		c.buf = nil
	}
	return err
}

// cork starts holding writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was held and stops holding.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	return c.flushLocked()
}

// corkSlot receives the connection dialled for one WebSocket handshake.
type corkSlot struct {
	mu   sync.Mutex
	conn *corkConn
}

func (s *corkSlot) get() *corkConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// corkingClient returns a copy of hc whose transport wraps each new
// connection in a corkConn and puts it in slot. It returns hc unchanged
// when its transport is not an *http.Transport or dials TLS itself; the
// WebSocket then works as before, one system call per frame.
func corkingClient(hc *http.Client, slot *corkSlot) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	var base *http.Transport
	switch tr := hc.Transport.(type) {
	case nil:
		base, _ = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		base = tr
	}
	// A transport that dials by a deprecated hook is left alone: wrapping
	// DialContext would bypass the user's dialer.
	//lint:ignore SA1019 reading the deprecated hooks to respect them
	if base == nil || base.DialTLSContext != nil || base.DialTLS != nil || base.Dial != nil {
		return hc
	}
	tr := base.Clone()
	// The clone serves one handshake: a refused one must not leave its
	// connection idle in a transport that nobody closes.
	tr.DisableKeepAlives = true
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cc := &corkConn{Conn: conn}
		slot.mu.Lock()
		slot.conn = cc
		slot.mu.Unlock()
		return cc, nil
	}
	c := *hc
	c.Transport = tr
	return &c
}
