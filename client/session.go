package client

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
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

// inputQueue is the room for transport reports waiting for the loop.
const inputQueue = 16

// maxKeptOutbox bounds the outbox capacity kept for reuse.
const maxKeptOutbox = 256

// numTimers is the number of fsm timers, for the loop's timer table.
const numTimers = int(fsm.TimerClose) + 1

// session is one session's runtime: the run loop that owns the machine
// and the transports' pumps. Its handler calls go to its connection's
// dispatcher.
type session struct {
	c       *Client
	cn      *connection
	attempt int // reconnection attempt that made it, 0 for Connect
	m       *fsm.Machine
	regs    map[string]transports.Registration
	base    transports.Config
	log     *slog.Logger

	ctx    context.Context // ends after the loop and the transports' closes
	cancel context.CancelFunc
	inputs chan item
	slots  [2]*tport // by fsm.Role
	timers [numTimers]*time.Timer
	tgen   [numTimers]uint64
	pumps  sync.WaitGroup // pumps and opens
	closes sync.WaitGroup // transport closes

	// Shared with the facade, under mu.
	mu        sync.Mutex
	state     fsm.State
	closing   bool
	hs        codec.Handshake
	transport string
	outbox    []codec.Packet
	spare     []codec.Packet // the outbox's other half, see commands
	mem       arena.Arena    // the data of messages copied by sendCopy
	endFlag   bool
	reason    Reason
	err       error
	retry     bool // a reconnection follows the end

	pending int64 // message bytes accepted and not yet handed to a transport (under mu)
	abort   atomic.Bool
	close   atomic.Bool
	wake    chan struct{}

	connectRes  chan error
	connectSet  bool
	established bool // handshake done; only the loop reads or writes it
	loopDone    chan struct{}
}

func newSession(cn *connection, regs map[string]transports.Registration, base transports.Config, attempt int) *session {
	c := cn.c
	s := &session{
		c:          c,
		cn:         cn,
		attempt:    attempt,
		m:          fsm.New(),
		regs:       regs,
		base:       base,
		log:        c.opts.Logger,
		inputs:     make(chan item, inputQueue),
		state:      fsm.Disconnected,
		wake:       make(chan struct{}, 1),
		connectRes: make(chan error, 1),
		loopDone:   make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

func (s *session) start(in fsm.Connect) { go s.loop(in) }

func (s *session) transportName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

func (s *session) sid() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hs.SID
}

func (s *session) currentState() fsm.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

func (s *session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// send queues a message packet whose data the session may keep.
func (s *session) send(p codec.Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queue(p)
}

// sendCopy queues a message of text followed by data, copied into the
// session's arena, so that small messages cost no allocation of their own.
func (s *session) sendCopy(binary bool, text string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := codec.Packet{Type: codec.Message, Binary: binary, Data: s.mem.Copy(text, data)}
	if err := s.queue(p); err != nil {
		s.mem.Undo(p.Data)
		return err
	}
	return nil
}

// queue checks p against the session's state and bounds and hands it to
// the run loop. Called with mu held.
func (s *session) queue(p codec.Packet) error {
	switch {
	case s.closing || s.endFlag:
		return ErrClosed
	case s.state != fsm.Handshaking && s.state != fsm.Open && s.state != fsm.Upgrading:
		return ErrClosed
	}
	if max := s.hs.MaxPayload; max > 0 {
		if n := s.encodedLen(p); n > max {
			return &MessageTooLargeError{Size: n, Max: max}
		}
	}
	size := bufferedSize(p)
	if bound := int64(s.c.opts.MaxBufferedBytes); bound > 0 && s.pending+size > bound && s.pending > 0 {
		return ErrBufferFull
	}
	s.pending += size
	s.outbox = append(s.outbox, p)
	s.poke()
	return nil
}

// encodedLen is the size the server compares with maxPayload: the frame on
// a session settled on a streaming transport, else the polling payload
// (the larger of the two in revision 3, where it has a length prefix).
// Called with mu held.
func (s *session) encodedLen(p codec.Packet) int {
	if s.state == fsm.Open && s.transport != "" && !s.regs[s.transport].Polled {
		n := len(p.Data)
		if !p.Binary || s.base.Revision == codec.V3 {
			n++ // the type digit or byte
		}
		return n
	}
	return codec.PayloadPacketLen(s.base.Revision, p, true)
}

// requestDisconnect asks the loop to end the session.
func (s *session) requestDisconnect(abort bool) {
	s.mu.Lock()
	s.closing = true
	if abort {
		s.abort.Store(true)
	} else {
		s.close.Store(true)
	}
	s.mu.Unlock()
	s.poke()
}

// loop is the one goroutine that touches the machine.
func (s *session) loop(in fsm.Connect) {
	defer s.finish()
	if s.step(in) {
		return
	}
	for {
		// Reports that are already queued are taken without the full
		// select, which costs more than the report's handling; a bounded
		// number, so that commands and timers still get their turn.
		for range inputBurst {
			it, ok := s.nextInput()
			if !ok {
				break
			}
			if s.handle(it) {
				return
			}
		}
		var timerC [numTimers]<-chan time.Time
		for i, t := range s.timers {
			if t != nil {
				timerC[i] = t.C
			}
		}
		var done bool
		select {
		case it := <-s.inputs:
			done = s.handle(it)
		case <-s.wake:
			done = s.commands()
		case <-timerC[fsm.TimerHeartbeat]:
			done = s.fire(fsm.TimerHeartbeat)
		case <-timerC[fsm.TimerPong]:
			done = s.fire(fsm.TimerPong)
		case <-timerC[fsm.TimerProbe]:
			done = s.fire(fsm.TimerProbe)
		case <-timerC[fsm.TimerProbeHold]:
			done = s.fire(fsm.TimerProbeHold)
		case <-timerC[fsm.TimerClose]:
			done = s.fire(fsm.TimerClose)
		}
		if done {
			return
		}
	}
}

// inputBurst bounds the queued reports the loop takes between two looks
// at its commands and timers.
const inputBurst = 16

// nextInput returns a queued transport report, if there is one.
func (s *session) nextInput() (item, bool) {
	select {
	case it := <-s.inputs:
		return it, true
	default:
		return item{}, false
	}
}

func (s *session) fire(t fsm.Timer) bool {
	s.timers[t] = nil
	return s.step(fsm.TimerFired{Timer: t, Gen: s.tgen[t]})
}

// commands feeds queued sends, then disconnect requests, to the machine:
// a message accepted by Send before Disconnect is written before the close.
// The outbox and the requests are taken together under mu, which Send and
// requestDisconnect hold too, so a request comes after every message
// accepted before it.
func (s *session) commands() bool {
	s.mu.Lock()
	out := s.outbox
	s.outbox, s.spare = s.spare, nil
	abort := s.abort.Load()
	closeReq := s.close.Swap(false)
	s.mu.Unlock()
	if len(out) > 0 && s.step(fsm.Send{Packets: out}) {
		return true
	}
	// The machine copied the packets: the slice is the next spare.
	clear(out)
	if cap(out) <= maxKeptOutbox {
		s.mu.Lock()
		s.spare = out[:0]
		s.mu.Unlock()
	}
	if abort {
		return s.step(fsm.Disconnect{Abort: true})
	}
	if closeReq {
		return s.step(fsm.Disconnect{})
	}
	return false
}

// finish runs when the loop ends: it closes what is left, waits for every
// goroutine of the session, then tells the connection.
func (s *session) finish() {
	for r := range s.slots {
		if tp := s.slots[r]; tp != nil {
			s.closeTransport(tp, false)
			s.slots[r] = nil
		}
	}
	for i, t := range s.timers {
		if t != nil {
			t.Stop()
			s.timers[i] = nil
		}
	}
	s.closes.Wait()
	s.cancel()
	s.pumps.Wait()
	s.mu.Lock()
	s.endFlag = true
	s.closing = true
	unsent := s.outbox
	s.outbox = nil
	s.mu.Unlock()
	// Accepted by Send as the session ended, like the machine's own
	// buffer when it reports SendFailed.
	s.notSent(unsent, fsm.ErrClosed)
	if !s.connectSet {
		s.connectRes <- fsm.ErrAborted
	}
	close(s.loopDone)
	s.cn.sessionOver(s)
}
