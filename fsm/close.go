package fsm

import (
	"fmt"

	"github.com/eio-go/eio/codec"
)

// disconnect handles the application's request to end the session.
func (m *Machine) disconnect(abort bool) {
	switch m.State() {
	case Disconnected:
		return
	case Handshaking:
		m.closeAll()
		m.fire(EvAbort)
		m.dropBuffer()
		m.emit(Finished{Reason: ReasonClientDisconnect, Err: ErrAborted})
		return
	}
	if abort {
		m.finish(EvAbort, ReasonClientDisconnect, nil)
		return
	}
	if m.State() == Closing {
		return
	}
	m.fire(EvClose)
	m.setTimer(TimerClose, m.cfg.CloseTimeout)
	if m.step < stepUpgradeSent && m.probe.open {
		// Abandon a probe that has not switched the session yet.
		m.probe = slot{}
		m.step = stepNone
		m.stopTimer(TimerProbe)
		m.releaseHold()
		m.emit(CloseTransport{Role: Probe})
	}
	m.advanceClose()
}

// advanceClose moves a graceful close on: wait for a pending switch, flush
// the buffer, write the close packet, and finish once it is written.
func (m *Machine) advanceClose() {
	a := &m.active
	if m.step == stepUpgradeSent || a.writing {
		return
	}
	if len(m.buf) > 0 {
		m.flush()
		return
	}
	if !m.closeSent {
		m.closeSent = true
		a.writing = true
		m.emit(Write{Role: Active, Packets: []codec.Packet{{Type: codec.Close}}})
		return
	}
	m.finish(EvClosed, ReasonClientDisconnect, nil)
}

// timerFired handles a timer; fires of stale generations are ignored.
func (m *Machine) timerFired(in TimerFired) {
	t := in.Timer
	if t >= numTimers || !m.armed[t] || in.Gen != m.gen[t] {
		return
	}
	m.armed[t] = false
	switch t {
	case TimerHeartbeat:
		if m.cfg.Revision == codec.V3 {
			m.setTimer(TimerPong, m.hs.PingTimeout)
			m.queueFront(codec.Packet{Type: codec.Ping})
			return
		}
		m.finish(EvPingTimeout, ReasonPingTimeout,
			fmt.Errorf("%w: no ping from the server in %v", ErrPingTimeout, m.hs.PingInterval+m.hs.PingTimeout))
	case TimerPong:
		m.finish(EvPingTimeout, ReasonPingTimeout,
			fmt.Errorf("%w: no pong from the server in %v", ErrPingTimeout, m.hs.PingTimeout))
	case TimerProbe:
		if m.step != stepNone && m.step < stepUpgradeSent {
			m.abandonUpgrade(fmt.Errorf("no answer within %v", m.cfg.ProbeTimeout))
		}
	case TimerProbeHold:
		m.hold = false
		m.poll()
	case TimerClose:
		m.finish(EvAbort, ReasonClientDisconnect, nil)
	}
}
