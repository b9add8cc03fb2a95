package client

import (
	"slices"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
)

// step feeds one input to the machine and carries out its effects; when
// the machine finishes, it starts the session's finish. It reports
// whether the session has finished. Called with mu held, never after the
// session finished.
func (s *session) step(in fsm.Input) bool {
	effects := s.m.Step(in)
	// A transport closed on the way to a failure is closed at once; one
	// closed by a clean end gets a closing handshake.
	// An abort (Abort, or a graceful close past CloseTimeout) closes at
	// once too.
	graceful := true
	for _, e := range effects {
		switch e := e.(type) {
		case fsm.Finished:
			graceful = graceful && (e.Reason == fsm.ReasonClientDisconnect || e.Reason == fsm.ReasonServerDisconnect)
		case fsm.Transitioned:
			if e.Event == fsm.EvAbort {
				graceful = false
			}
		}
	}
	finished := false
	for _, e := range effects {
		if s.apply(e, graceful) {
			finished = true
		}
	}
	if finished {
		s.over = true
		// finish waits for the session's goroutines, which may be
		// waiting for mu: it cannot run here.
		go s.finish()
	}
	return finished
}

func (s *session) apply(e fsm.Effect, graceful bool) bool {
	switch e := e.(type) {
	case fsm.Transitioned:
		s.setView(func(v *sessionView) { v.state = e.To })
		if s.log != nil {
			s.log.Info("eio: state", "from", string(e.From), "to", string(e.To), "event", string(e.Event))
		}
		ch := StateChange{From: e.From, To: e.To, Event: e.Event}
		s.post(func() {
			for _, f := range snapshot(&s.c.h, &s.c.h.state) {
				f(ch)
			}
		})
	case fsm.OpenTransport:
		s.openTransport(e.Role, e.Name, e.SID)
	case fsm.CloseTransport:
		if tp := s.slots[e.Role]; tp != nil {
			s.slots[e.Role] = nil
			s.closeTransport(tp, graceful)
		}
	case fsm.Write:
		s.write(e)
	case fsm.Poll:
		if tp := s.slots[e.Role]; tp != nil {
			// The machine never asks for a second poll before the first
			// one's report, so the token's room is free; were it not, the
			// poll asked for is already pending.
			select {
			case tp.poll <- struct{}{}:
			default:
			}
		}
	case fsm.Promote:
		old := s.slots[fsm.Active]
		s.slots[fsm.Active], s.slots[fsm.Probe] = s.slots[fsm.Probe], nil
		if old != nil {
			s.closeTransport(old, true)
		}
	case fsm.SetTimer:
		s.armTimer(e.Timer, e.After, e.Gen)
	case fsm.StopTimer:
		s.stopTimer(e.Timer)
	case fsm.Connected:
		s.connected(e)
	case fsm.Deliver:
		s.cn.disp.message(Message{Data: e.Packet.Data, Binary: e.Packet.Binary})
	case fsm.Pinged:
		s.post(func() {
			for _, f := range snapshot(&s.c.h, &s.c.h.ping) {
				f()
			}
		})
	case fsm.Upgraded:
		s.setView(func(v *sessionView) { v.transport = e.Transport })
		s.c.remember(s.cn.t.key, e.Transport)
		if s.log != nil {
			s.log.Info("eio: upgraded", "transport", e.Transport)
		}
		name := e.Transport
		s.post(func() {
			for _, f := range snapshot(&s.c.h, &s.c.h.upgrade) {
				f(name)
			}
		})
	case fsm.UpgradeFailed:
		if s.log != nil {
			s.log.Info("eio: upgrade failed", "transport", e.Transport, "error", e.Err)
		}
		err := e.Err
		s.post(func() {
			for _, f := range snapshot(&s.c.h, &s.c.h.upgradeError) {
				f(err)
			}
		})
	case fsm.SendFailed:
		s.release(e.Packets)
		s.notSent(e.Packets, e.Err)
	case fsm.Finished:
		s.finished(e)
		return true
	}
	return false
}

func (s *session) post(f func()) { s.cn.post(f) }

// write starts the write of packets on a transport.
func (s *session) write(e fsm.Write) {
	s.release(e.Packets)
	tp := s.slots[e.Role]
	if tp == nil {
		return
	}
	s.tracePackets(Outbound, tp.name, e.Packets)
	if tp.writer {
		// tp's write goroutine is reporting its last write, the only
		// time the machine asks for a write while it runs: it goes on
		// with this one.
		tp.next = e.Packets
		return
	}
	tp.writer = true
	s.pumps.Add(1)
	if s.sending && s.startTP == nil && tp.starter != nil && time.Since(tp.wrote) >= quietWrite {
		// A Send found the transport idle: its goroutine starts the write
		// once it let go of mu, which saves the hand-off to a write
		// goroutine on the way out of an echo.
		s.startTP, s.startPkts = tp, e.Packets
		return
	}
	go s.writes(tp, e.Packets)
}

// quietWrite is how long a transport must have been idle for a Send to
// start a write itself. A Send that comes sooner is part of a stream of
// them, which a write goroutine batches better: while one write is under
// way, the Sends after it gather into the next.
const quietWrite = 50 * time.Microsecond

// tracePackets logs packets at Debug and hands them to packet handlers.
func (s *session) tracePackets(dir Direction, transport string, pkts []codec.Packet) {
	if s.log != nil {
		for _, p := range pkts {
			s.log.Debug("eio: packet "+dir.String(), "transport", transport, "packet", p.String())
		}
	}
	if !has(&s.c.h, &s.c.h.packet) {
		return
	}
	pkts = slices.Clone(pkts)
	s.post(func() {
		hs := snapshot(&s.c.h, &s.c.h.packet)
		for _, p := range pkts {
			for _, f := range hs {
				f(dir, transport, p)
			}
		}
	})
}

// notSent reports the message packets of pkts as never to be sent: in
// the log and to the send-failed handlers.
func (s *session) notSent(pkts []codec.Packet, err error) {
	var msgs []Message
	for _, p := range pkts {
		if p.Type == codec.Message {
			msgs = append(msgs, Message{Data: p.Data, Binary: p.Binary})
		}
	}
	if len(msgs) == 0 {
		return
	}
	if s.log != nil {
		s.log.Warn("eio: messages not sent", "count", len(msgs), "error", err)
	}
	s.post(func() {
		for _, f := range snapshot(&s.c.h, &s.c.h.sendFailed) {
			f(msgs, err)
		}
	})
}

// release returns the bytes of message packets to the write buffer bound.
func (s *session) release(pkts []codec.Packet) {
	var n int64
	for _, p := range pkts {
		if p.Type == codec.Message {
			n += bufferedSize(p)
		}
	}
	if n == 0 {
		return
	}
	s.pending -= n
	if s.pending < 0 {
		s.pending = 0
	}
}

func (s *session) connected(e fsm.Connected) {
	s.setView(func(v *sessionView) { v.sid, v.transport = e.Handshake.SID, e.Transport })
	if tp := s.slots[fsm.Active]; tp != nil && tp.t != nil {
		if sa, ok := tp.t.(transports.SessionAware); ok {
			sa.SetSession(e.Handshake)
		}
	}
	info := ConnectInfo{
		SID:          e.Handshake.SID,
		Transport:    e.Transport,
		Upgrades:     e.Handshake.Upgrades,
		PingInterval: e.Handshake.PingInterval,
		PingTimeout:  e.Handshake.PingTimeout,
		MaxPayload:   e.Handshake.MaxPayload,
	}
	s.established = true
	s.cn.established(s)
	if !s.regs.get(e.Transport).Polled {
		s.c.remember(s.cn.t.key, e.Transport)
	}
	// Connect learns of the success before any handler can act on it.
	s.connectSet = true
	s.connectRes <- nil
	attempt := s.attempt
	s.post(func() {
		for _, f := range snapshot(&s.c.h, &s.c.h.connect) {
			f(info)
		}
		if attempt > 0 {
			for _, f := range snapshot(&s.c.h, &s.c.h.reconnected) {
				f(attempt, info)
			}
		}
	})
}

func (s *session) finished(e fsm.Finished) {
	// Decided before any handler hears of the end, so that a disconnect
	// handler calling Connect knows whether a reconnection follows.
	retry := s.established && s.cn.retries(e.Reason, e.Err)
	s.setView(func(v *sessionView) { v.reason, v.err, v.retry, v.transport = e.Reason, e.Err, retry, "" })
	if !e.Connected {
		if !s.connectSet {
			s.connectSet = true
			s.connectRes <- e.Err
		}
		return
	}
	if s.log != nil {
		s.log.Info("eio: disconnected", "reason", string(e.Reason), "error", e.Err)
	}
	reason, err := e.Reason, e.Err
	s.post(func() {
		for _, f := range snapshot(&s.c.h, &s.c.h.disconnect) {
			f(reason, err)
		}
	})
}
