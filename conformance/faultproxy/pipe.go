package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one proxied connection: the client's socket c, the target's
// socket u, and a pipe per direction.
type conn struct {
	p        *Proxy
	c, u     *net.TCPConn
	up, down *pipe
	done     chan struct{} // closed when the connection is closed
	once     sync.Once
	eofs     atomic.Int32 // directions that ended with EOF
}

func newConn(p *Proxy, c, u *net.TCPConn) *conn {
	cn := &conn{p: p, c: c, u: u, done: make(chan struct{})}
	cn.up = &pipe{cn: cn, dir: Up, dst: u, q: make(chan chunk, queueLen)}
	cn.down = &pipe{cn: cn, dir: Down, dst: c, q: make(chan chunk, queueLen)}
	return cn
}

// close closes both sockets; reset makes each close send an RST.
func (cn *conn) shut(reset bool) {
	cn.once.Do(func() {
		if reset {
			_ = cn.c.SetLinger(0)
			_ = cn.u.SetLinger(0)
		}
		_ = cn.c.Close()
		_ = cn.u.Close()
		close(cn.done)
		cn.p.untrack(cn)
	})
}

func (cn *conn) close() { cn.shut(false) }
func (cn *conn) reset() { cn.shut(true) }

// wait blocks until t or until the connection closes, reporting whether
// t was reached.
func (cn *conn) wait(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-cn.done:
		return false
	}
}

// queueLen bounds the chunks a direction holds: a reader blocks past it,
// as a full socket buffer would block the sender.
const queueLen = 64

// The kinds of chunk.
const (
	chunkData  = iota
	chunkEOF   // the source ended: half-close the destination
	chunkClose // close the connection once what came before is written
)

type chunk struct {
	kind int
	data []byte
	at   time.Time // when the proxy read it
}

// pipe carries one direction: readers queue chunks, run writes them to
// dst with the direction's faults applied.
type pipe struct {
	cn  *conn
	dir Direction
	dst *net.TCPConn
	q   chan chunk

	// Owned by run.
	gen     uint64 // the faults generation n counts for
	n       int64  // bytes forwarded since that generation
	garbage bool   // garbage of that generation inserted
	free    time.Time
}

// Write queues a copy of b; it fails once the connection is closed.
func (pp *pipe) Write(b []byte) (int, error) {
	if err := pp.send(chunk{kind: chunkData, data: append([]byte(nil), b...)}); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (pp *pipe) send(ch chunk) error {
	ch.at = time.Now()
	select {
	case pp.q <- ch:
		return nil
	case <-pp.cn.done:
		return net.ErrClosed
	}
}

// eof queues the end of the source; closeAfter queues the closing of the
// connection.
func (pp *pipe) eof()        { _ = pp.send(chunk{kind: chunkEOF}) }
func (pp *pipe) closeAfter() { _ = pp.send(chunk{kind: chunkClose}) }

// pump reads src into the pipe until src ends.
func (pp *pipe) pump(src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := pp.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			pp.ended(err)
			return
		}
	}
}

// ended handles the end of the source: EOF half-closes, anything else
// closes the connection.
func (pp *pipe) ended(err error) {
	if errors.Is(err, io.EOF) {
		pp.eof()
		return
	}
	pp.cn.close()
}

func (pp *pipe) run() {
	for {
		select {
		case ch := <-pp.q:
			if !pp.deliver(ch) {
				return
			}
		case <-pp.cn.done:
			return
		}
	}
}

// deliver writes one chunk once the faults let it through; false means
// the connection is over.
func (pp *pipe) deliver(ch chunk) bool {
	f, gen, ok := pp.open()
	if !ok {
		return false
	}
	sh := f.Up
	if pp.dir == Down {
		sh = f.Down
	}
	if sh.Latency > 0 && !pp.cn.wait(ch.at.Add(sh.Latency)) {
		return false
	}
	switch ch.kind {
	case chunkEOF:
		_ = pp.dst.CloseWrite()
		if pp.cn.eofs.Add(1) == 2 {
			pp.cn.close()
			return false
		}
		return true
	case chunkClose:
		pp.cn.close()
		return false
	}
	return pp.write(sh, gen, ch.data)
}

// open waits while the connection is half-open and returns the faults
// then in force.
func (pp *pipe) open() (Faults, uint64, bool) {
	for {
		f, gen, changed := pp.cn.p.current()
		if !f.HalfOpen {
			return f, gen, true
		}
		select {
		case <-changed:
		case <-pp.cn.done:
			return f, gen, false
		}
	}
}

// write forwards b with the reset, garbage and bandwidth faults of sh.
func (pp *pipe) write(sh Shape, gen uint64, b []byte) bool {
	if gen != pp.gen {
		pp.gen, pp.n, pp.garbage = gen, 0, false
	}
	for {
		if sh.Reset && pp.n >= sh.ResetAfter {
			pp.cn.reset()
			return false
		}
		if sh.Garbage != nil && !pp.garbage && pp.n >= sh.GarbageAfter {
			pp.garbage = true
			if !pp.out(sh, sh.Garbage) {
				return false
			}
		}
		if len(b) == 0 {
			return true
		}
		k := int64(len(b))
		if sh.Reset {
			k = min(k, sh.ResetAfter-pp.n)
		}
		if sh.Garbage != nil && !pp.garbage {
			k = min(k, sh.GarbageAfter-pp.n)
		}
		if !pp.out(sh, b[:k]) {
			return false
		}
		pp.n += k
		b = b[k:]
	}
}

// out writes b to dst at no more than the bandwidth of sh.
func (pp *pipe) out(sh Shape, b []byte) bool {
	if sh.Bandwidth <= 0 {
		if _, err := pp.dst.Write(b); err != nil {
			pp.cn.close()
			return false
		}
		return true
	}
	piece := max(sh.Bandwidth/50, 1) // 20 ms worth
	for len(b) > 0 {
		if !pp.cn.wait(pp.free) {
			return false
		}
		k := min(piece, len(b))
		if _, err := pp.dst.Write(b[:k]); err != nil {
			pp.cn.close()
			return false
		}
		pp.free = time.Now().Add(time.Duration(k) * time.Second / time.Duration(sh.Bandwidth))
		b = b[k:]
	}
	return true
}
