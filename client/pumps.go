package client

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
)

// tport is one transport instance of the session and its pumps. Its
// fields are guarded by the session's mu after creation.
type tport struct {
	name     string
	polled   bool
	t        transports.Transport
	ctx      context.Context
	cancel   context.CancelFunc
	poll     chan struct{}
	closed   bool
	writeErr error // a failed write on a streaming transport (see wrote), awaiting the reader's report
	readErr  error // the reader's failure, awaiting the report of the write under way

	writer  bool           // a write is under way (see session.write)
	next    []codec.Packet // the write its goroutine goes on with
	starter transports.WriteStarter
	wrote   time.Time // when the last write ended
}

type itemKind uint8

const (
	itemOpened itemKind = iota
	itemReceived
	itemWrote
	itemFailed
)

// item is a report from a transport's goroutines. The session turns it
// into an fsm input for the role the transport has now, and drops it if
// the transport is no longer the session's.
type item struct {
	tp    *tport
	kind  itemKind
	write bool                 // itemFailed: a write failed
	t     transports.Transport // itemOpened
	pkts  []codec.Packet
	more  bool // itemReceived: the poll's response goes on (transports.PartReader)
	err   error
}

// report hands it to the machine. It reports false when the session is
// over, or ended with it; a transport opened for a session that is over
// is closed before report returns.
func (s *session) report(it item) bool {
	s.mu.Lock()
	if s.over {
		s.mu.Unlock()
		if it.kind == itemOpened {
			// finish may be done waiting for closes: the opener's
			// goroutine, which finish waits for, closes it.
			_ = it.t.Close(canceled)
		}
		return false
	}
	defer s.mu.Unlock()
	return !s.handle(it)
}

// openTransport starts opening a transport in a role.
func (s *session) openTransport(role fsm.Role, name, sid string) {
	reg := s.regs.get(name)
	tp := &tport{name: name, polled: reg.Polled, poll: make(chan struct{}, 1)}
	// Ended by closeTransport, which every transport of the session goes
	// through (finish closes those left).
	tp.ctx, tp.cancel = context.WithCancel(context.Background())
	s.slots[role] = tp
	cfg := s.base
	cfg.SID = sid
	cfg.MaxPayload = s.m.Handshake().MaxPayload
	s.pumps.Add(1)
	go func() {
		defer s.pumps.Done()
		t, err := reg.Open(tp.ctx, cfg)
		if err != nil {
			s.report(item{tp: tp, kind: itemFailed, err: err})
			return
		}
		s.report(item{tp: tp, kind: itemOpened, t: t})
	}()
}

// startPumps starts the reader goroutine of an open transport. Writes get
// a goroutine while there is something to write (see writes), so an idle
// connection keeps none for writing.
func (s *session) startPumps(tp *tport) {
	s.pumps.Add(1)
	go s.readPump(tp, true)
}

// readPump reads tp until it fails or the session is over. fresh is false
// for the reader that takes over from the first (see below).
func (s *session) readPump(tp *tport, fresh bool) {
	defer s.pumps.Done()
	parts, _ := tp.t.(transports.PartReader)
	more := func() bool { return tp.polled && parts != nil && parts.More() }
	for first := fresh; ; first = false {
		if tp.polled && !more() {
			// A new poll, when the machine asks for one. The parts of a
			// response are read without asking: the poll goes on.
			select {
			case <-tp.poll:
			case <-tp.ctx.Done():
				return
			}
		}
		// The handler calls of the last read are queued by now.
		if !s.cn.disp.waitRoom(tp.ctx) {
			return
		}
		pkts, err := tp.t.Read(tp.ctx)
		if err != nil {
			s.report(item{tp: tp, kind: itemFailed, err: err})
			return
		}
		if !s.report(item{tp: tp, kind: itemReceived, pkts: pkts, more: more()}) {
			return
		}
		if first {
			// The first read carries the handshake or the probe's answer,
			// whose handling (JSON, handler calls, logging) takes a deeper
			// stack than reading. A goroutine's stack does not shrink while
			// its parked frames use a quarter of it, so a fresh reader goes
			// on: an idle connection's reader then keeps half the stack.
			s.pumps.Add(1)
			go s.readPump(tp, false)
			return
		}
	}
}

// writes carries out pkts' write on tp, reports it, and goes on with the
// write the machine asks for in answer, until it asks for none. The
// machine never has two writes outstanding on a transport, so writes stay
// in order.
func (s *session) writes(tp *tport, pkts []codec.Packet) {
	defer s.pumps.Done()
	for pkts != nil {
		pkts = s.reportWrite(s.wrote(tp, tp.t.Write(tp.ctx, pkts)))
	}
}

// wrote returns the report of a write on tp that ended with err.
func (s *session) wrote(tp *tport, err error) item {
	if err == nil {
		return item{tp: tp, kind: itemWrote}
	}
	if !tp.polled {
		// The connection is gone: closing it makes the reader report
		// too, and its report tells a server's close from a break. The
		// cause is recorded first, for a reader that reports before this
		// write's report does.
		s.mu.Lock()
		if tp.writeErr == nil {
			tp.writeErr = err
		}
		s.mu.Unlock()
		_ = tp.t.Close(canceled)
	}
	return item{tp: tp, kind: itemFailed, write: true, err: err}
}

// startWrite carries out, on the goroutine of the Send that stepped the
// machine, a write the machine asked for then (see session.write): it
// starts it without waiting for the network, and leaves the rest of it,
// and the writes after it, to a write goroutine.
func (s *session) startWrite(tp *tport, pkts []codec.Packet) {
	done, err := tp.starter.StartWrite(tp.ctx, pkts)
	if err == nil && !done {
		go func() {
			next := s.reportWrite(s.wrote(tp, tp.starter.FinishWrite(tp.ctx)))
			s.writes(tp, next)
		}()
		return
	}
	if next := s.reportWrite(s.wrote(tp, err)); next != nil {
		go s.writes(tp, next)
		return
	}
	s.pumps.Done()
}

// reportWrite reports a write's end and returns the next write of the
// same goroutine, if the machine asked for one.
func (s *session) reportWrite(it item) []codec.Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp := it.tp
	tp.wrote = time.Now()
	if !s.over {
		s.handle(it)
	}
	next := tp.next
	tp.next = nil
	if next == nil || s.over {
		tp.writer = false
		return nil
	}
	return next
}

// canceled is an already-cancelled context, for closing at once.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// closeTransport closes tp in the background: gracefully (a closing
// handshake) or at once. Its pumps end when its context is cancelled.
func (s *session) closeTransport(tp *tport, graceful bool) {
	if tp.closed {
		return
	}
	tp.closed = true
	t := tp.t
	s.closes.Add(1)
	go func() {
		defer s.closes.Done()
		if t != nil {
			ctx := canceled
			if graceful {
				// A closing handshake gets CloseTimeout at most.
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(context.Background(), s.closeTimeout())
				defer cancel()
			}
			_ = t.Close(ctx)
		}
		tp.cancel()
	}()
}

// closeTimeout is Options.CloseTimeout, or its default.
func (s *session) closeTimeout() time.Duration {
	if d := s.c.opts.CloseTimeout; d > 0 {
		return d
	}
	return fsm.DefaultCloseTimeout
}

// roleOf returns the role tp has now, or false when it is not the
// session's any more.
func (s *session) roleOf(tp *tport) (fsm.Role, bool) {
	switch tp {
	case s.slots[fsm.Active]:
		return fsm.Active, true
	case s.slots[fsm.Probe]:
		return fsm.Probe, true
	}
	return 0, false
}

// handle turns a transport report into a machine input. Called with mu
// held.
func (s *session) handle(it item) bool {
	role, ok := s.roleOf(it.tp)
	if !ok || it.tp.closed {
		if it.kind == itemOpened {
			s.closes.Add(1)
			go func() { defer s.closes.Done(); _ = it.t.Close(canceled) }()
		}
		return false
	}
	switch it.kind {
	case itemOpened:
		it.tp.t = it.t
		it.tp.starter, _ = it.t.(transports.WriteStarter)
		s.startPumps(it.tp)
		return s.step(fsm.Opened{Role: role})
	case itemReceived:
		s.tracePackets(Inbound, it.tp.name, it.pkts)
		return s.step(fsm.Received{Role: role, Packets: it.pkts, More: it.more})
	case itemWrote:
		if it.tp.readErr != nil {
			// The reader failed while this write was under way.
			return s.step(fsm.Failed{Role: role, Err: it.tp.readErr})
		}
		return s.step(fsm.Wrote{Role: role})
	default:
		var ce *codec.Error
		tp := it.tp
		switch {
		case tp.polled:
		case it.write && tp.readErr == nil:
			// A server that closes a WebSocket can make a write fail before
			// the reader reads its close: the reader, which reports next
			// (the write closed the connection), decides, with the cause
			// wrote recorded.
			return false
		case it.write:
			// The reader failed first and waited for this report.
			err := it.err
			if errors.Is(err, net.ErrClosed) {
				err = tp.readErr // the write met the close the reader's failure made
			}
			return s.step(fsm.Failed{Role: role, Err: err})
		case tp.writer && tp.writeErr == nil && !errors.Is(it.err, transports.ErrPeerClosed) && !errors.As(it.err, &ce):
			// The reader failed while a write is under way. A reset is
			// reported to one system call only, and the write may be the
			// one that got it (the reader then reads an end of file): the
			// write's report decides, and closing the connection makes it
			// come soon.
			tp.readErr = it.err
			_ = tp.t.Close(canceled)
			return false
		}
		if errors.Is(it.err, transports.ErrPeerClosed) {
			return s.step(fsm.Closed{Role: role, Err: it.err})
		}
		if errors.As(it.err, &ce) {
			return s.step(fsm.Malformed{Role: role, Err: it.err})
		}
		err := it.err
		if it.tp.writeErr != nil {
			err = it.tp.writeErr // the cause, not the close it made
		}
		return s.step(fsm.Failed{Role: role, Err: err})
	}
}
