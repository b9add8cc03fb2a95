package client

import (
	"context"
	"errors"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
)

// tport is one transport instance of the session and its pumps. Only the
// loop reads or writes its fields after creation.
type tport struct {
	name     string
	polled   bool
	t        transports.Transport
	ctx      context.Context
	cancel   context.CancelFunc
	poll     chan struct{}
	closed   bool
	writeErr error // a failed write on a streaming transport, awaiting the reader's report
}

type itemKind uint8

const (
	itemOpened itemKind = iota
	itemReceived
	itemWrote
	itemFailed
)

// item is a report from a transport's goroutines to the loop. The loop
// turns it into an fsm input for the role the transport has now, and drops
// it if the transport is no longer the session's.
type item struct {
	tp    *tport
	kind  itemKind
	write bool                 // itemFailed: a write failed
	t     transports.Transport // itemOpened
	pkts  []codec.Packet
	err   error
}

func (s *session) deliver(it item) bool {
	select {
	case s.inputs <- it:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// openTransport starts opening a transport in a role.
func (s *session) openTransport(role fsm.Role, name, sid string) {
	reg := s.regs[name]
	tp := &tport{name: name, polled: reg.Polled, poll: make(chan struct{}, 1)}
	tp.ctx, tp.cancel = context.WithCancel(s.ctx)
	s.slots[role] = tp
	cfg := s.base
	cfg.SID = sid
	s.mu.Lock()
	cfg.MaxPayload = s.hs.MaxPayload
	s.mu.Unlock()
	s.pumps.Add(1)
	go func() {
		defer s.pumps.Done()
		t, err := reg.Open(tp.ctx, cfg)
		if err != nil {
			s.deliver(item{tp: tp, kind: itemFailed, err: err})
			return
		}
		if !s.deliver(item{tp: tp, kind: itemOpened, t: t}) {
			_ = t.Close(canceled)
		}
	}()
}

// startPumps starts the reader goroutine of an open transport. Writes get
// a goroutine each (see writeOnce), so an idle connection keeps none for
// writing.
func (s *session) startPumps(tp *tport) {
	s.pumps.Add(1)
	go s.readPump(tp)
}

func (s *session) readPump(tp *tport) {
	defer s.pumps.Done()
	for {
		if tp.polled {
			select {
			case <-tp.poll:
			case <-tp.ctx.Done():
				return
			}
		}
		// Checked after the poll was asked for, when the loop has queued
		// the handler calls of the last read.
		if !s.cn.disp.waitRoom(tp.ctx) {
			return
		}
		pkts, err := tp.t.Read(tp.ctx)
		if err != nil {
			s.deliver(item{tp: tp, kind: itemFailed, err: err})
			return
		}
		if !s.deliver(item{tp: tp, kind: itemReceived, pkts: pkts}) {
			return
		}
	}
}

// writeOnce carries out one write; the machine never has two outstanding
// on a transport, so writes stay in order.
func (s *session) writeOnce(tp *tport, pkts []codec.Packet) {
	defer s.pumps.Done()
	if err := tp.t.Write(tp.ctx, pkts); err != nil {
		if !tp.polled {
			// The connection is gone: closing it makes the reader report
			// too, and its report tells a server's close from a break.
			_ = tp.t.Close(canceled)
		}
		s.deliver(item{tp: tp, kind: itemFailed, write: true, err: err})
		return
	}
	s.deliver(item{tp: tp, kind: itemWrote})
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

// handle turns a transport report into a machine input.
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
		s.startPumps(it.tp)
		return s.step(fsm.Opened{Role: role})
	case itemReceived:
		s.tracePackets(Inbound, it.tp.name, it.pkts)
		return s.step(fsm.Received{Role: role, Packets: it.pkts})
	case itemWrote:
		return s.step(fsm.Wrote{Role: role})
	default:
		if it.write && !it.tp.polled {
			// A server that closes a WebSocket can make a write fail before
			// the reader reads its close: the reader, which reports next
			// (the write closed the connection), decides.
			it.tp.writeErr = it.err
			return false
		}
		var ce *codec.Error
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
