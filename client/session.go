package client

import (
	"log/slog"
	"sync"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/internal/arena"
	"github.com/eio-go/eio/transports"
)

// packetOverhead is what a queued message costs beyond its data (the
// packet and its slot in the queues), counted against MaxBufferedBytes so
// that empty messages are bounded too.
const packetOverhead = 64

// bufferedSize is what p counts against MaxBufferedBytes.
func bufferedSize(p codec.Packet) int64 { return int64(len(p.Data)) + packetOverhead }

// numTimers is the number of fsm timers, for the session's timer table.
const numTimers = int(fsm.TimerClose) + 1

// session is one session's runtime: the machine, the transports' pumps
// and the timers. No goroutine is dedicated to the machine. Whichever
// goroutine has something for it (a Send or Disconnect from the
// application, a transport's reader or writer with a report, a timer's
// function) takes mu, feeds the machine one input and carries out the
// effects before it lets go. The effects never block (writes, opens and
// closes get goroutines of their own, handler calls go to the
// connection's dispatcher), so mu is held for a step only; inputs are
// handled one at a time, in the order their goroutines took mu. An idle
// connection keeps one goroutine (its reader), and a message crosses no
// goroutine on its way between the application and a transport beyond
// the write's.
type session struct {
	c       *Client
	cn      *connection
	attempt int // reconnection attempt that made it, 0 for Connect
	regs    regSet
	base    transports.Config
	log     *slog.Logger

	pumps  sync.WaitGroup // pumps, writes and opens
	closes sync.WaitGroup // transport closes
	fires  sync.WaitGroup // timer functions armed and not stopped

	// vmu guards view, a copy of what the facade shows (state, sid,
	// transport, reason), set by the steps. It is never held for long, so
	// reading the view never waits for a step, and a Logger may read it.
	vmu  sync.Mutex
	view sessionView

	// mu guards the machine and everything below; it is held while an
	// input is handled.
	mu     sync.Mutex
	m      *fsm.Machine
	over   bool      // the machine finished: no more inputs
	slots  [2]*tport // by fsm.Role
	timers [numTimers]*time.Timer
	tgen   [numTimers]uint64

	closing   bool
	one       [1]codec.Packet // the packet of a Send input
	sending   bool            // a Send's input is being handled
	startTP   *tport          // a write left to that Send's goroutine
	startPkts []codec.Packet
	mem       arena.Arena // the data of messages copied by sendCopy

	pending int64 // message bytes accepted and not yet handed to a transport

	connectRes  chan error
	connectSet  bool
	established bool          // handshake done
	doneCh      chan struct{} // closed once the session and its goroutines are done
}

func newSession(cn *connection, regs regSet, base transports.Config, attempt int) *session {
	c := cn.c
	s := &session{
		c:          c,
		cn:         cn,
		attempt:    attempt,
		m:          fsm.New(),
		regs:       regs,
		base:       base,
		log:        c.opts.Logger,
		view:       sessionView{state: fsm.Disconnected},
		connectRes: make(chan error, 1),
		doneCh:     make(chan struct{}),
	}
	return s
}

// start feeds the machine its Connect input, unless a disconnect request
// came first: the attempt then ends at once, as one aborted while
// handshaking does.
func (s *session) start(in fsm.Connect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		s.over = true
		go s.finish() // reports fsm.ErrAborted to Connect
		return
	}
	s.step(in)
}

// sessionView is what the facade shows of a session.
type sessionView struct {
	state     fsm.State
	sid       string
	transport string
	reason    Reason
	err       error
	retry     bool // a reconnection follows the end
}

// setView changes the view. Called with mu held.
func (s *session) setView(f func(v *sessionView)) {
	s.vmu.Lock()
	f(&s.view)
	s.vmu.Unlock()
}

// getView returns the view; it never waits for a step.
func (s *session) getView() sessionView {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	return s.view
}

func (s *session) transportName() string { return s.getView().transport }

func (s *session) sid() string { return s.getView().sid }

func (s *session) currentState() fsm.State { return s.getView().state }

// send queues a message packet whose data the session may keep.
func (s *session) send(p codec.Packet) error {
	s.mu.Lock()
	err := s.queue(p)
	tp, pkts := s.takeStart()
	s.mu.Unlock()
	if tp != nil {
		s.startWrite(tp, pkts)
	}
	return err
}

// sendCopy queues a message of text followed by data, copied into the
// session's arena, so that small messages cost no allocation of their own.
func (s *session) sendCopy(binary bool, text string, data []byte) error {
	s.mu.Lock()
	p := codec.Packet{Type: codec.Message, Binary: binary, Data: s.mem.Copy(text, data)}
	err := s.queue(p)
	if err != nil {
		s.mem.Undo(p.Data)
	}
	tp, pkts := s.takeStart()
	s.mu.Unlock()
	if tp != nil {
		s.startWrite(tp, pkts)
	}
	return err
}

// takeStart returns, and forgets, the write left to the goroutine of a
// Send (see session.write). Called with mu held.
func (s *session) takeStart() (*tport, []codec.Packet) {
	tp, pkts := s.startTP, s.startPkts
	s.startTP, s.startPkts = nil, nil
	return tp, pkts
}

// queue checks p against the session's state and bounds and hands it to
// the machine. Called with mu held.
func (s *session) queue(p codec.Packet) error {
	if s.closing {
		return ErrClosed
	}
	switch s.m.State() {
	case fsm.Handshaking, fsm.Open, fsm.Upgrading:
	default:
		return ErrClosed
	}
	if max := s.m.Handshake().MaxPayload; max > 0 {
		if n := s.encodedLen(p); n > max {
			return &MessageTooLargeError{Size: n, Max: max}
		}
	}
	size := bufferedSize(p)
	if bound := int64(s.c.opts.MaxBufferedBytes); bound > 0 && s.pending+size > bound && s.pending > 0 {
		return ErrBufferFull
	}
	s.pending += size
	// The machine copies the packet into its buffer.
	s.one[0] = p
	s.sending = true
	s.step(fsm.Send{Packets: s.one[:]})
	s.sending = false
	s.one[0] = codec.Packet{}
	return nil
}

// encodedLen is the size the server compares with maxPayload: the frame on
// a session settled on a streaming transport, else the polling payload
// (the larger of the two in revision 3, where it has a length prefix).
// Called with mu held.
func (s *session) encodedLen(p codec.Packet) int {
	if name := s.m.Transport(); s.m.State() == fsm.Open && name != "" && !s.regs.get(name).Polled {
		n := len(p.Data)
		if !p.Binary || s.base.Revision == codec.V3 {
			n++ // the type digit or byte
		}
		return n
	}
	return codec.PayloadPacketLen(s.base.Revision, p, true)
}

// requestDisconnect ends the session: gracefully (after the messages
// accepted before it) or, with abort, at once.
func (s *session) requestDisconnect(abort bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	if !s.over {
		s.step(fsm.Disconnect{Abort: abort})
	}
}

// fire handles timer t's fire, armed with generation gen.
func (s *session) fire(t fsm.Timer, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over {
		return
	}
	if s.tgen[t] == gen {
		s.timers[t] = nil
	}
	s.step(fsm.TimerFired{Timer: t, Gen: gen})
}

// armTimer arms timer t to fire after d with generation gen, replacing
// an earlier arming. Called with mu held.
func (s *session) armTimer(t fsm.Timer, d time.Duration, gen uint64) {
	s.stopTimer(t)
	s.tgen[t] = gen
	s.fires.Add(1)
	s.timers[t] = time.AfterFunc(d, func() {
		defer s.fires.Done()
		s.fire(t, gen)
	})
}

// stopTimer disarms timer t. Called with mu held.
func (s *session) stopTimer(t fsm.Timer) {
	if tm := s.timers[t]; tm != nil {
		if tm.Stop() {
			s.fires.Done() // its function will not run
		}
		s.timers[t] = nil
	}
}

// finish runs on a goroutine of its own once the machine has finished: it
// closes what is left, waits for every goroutine of the session, then
// tells the connection.
func (s *session) finish() {
	s.mu.Lock()
	for r := range s.slots {
		if tp := s.slots[r]; tp != nil {
			s.closeTransport(tp, false)
			s.slots[r] = nil
		}
	}
	for t := range s.timers {
		s.stopTimer(fsm.Timer(t))
	}
	s.mu.Unlock()
	s.closes.Wait() // every transport's context is cancelled now
	s.pumps.Wait()
	s.fires.Wait()
	s.mu.Lock()
	s.closing = true
	connectSet := s.connectSet
	s.connectSet = true
	s.mu.Unlock()
	if !connectSet {
		s.connectRes <- fsm.ErrAborted
	}
	close(s.doneCh)
	s.cn.sessionOver(s)
}
