package fsm

import (
	"fmt"

	"github.com/eio-go/eio/codec"
)

// received handles packets from a transport, and for a polled transport
// the end of a poll unless more of its response follows.
func (m *Machine) received(r Role, pkts []codec.Packet, more bool) {
	s := m.slot(r)
	if !s.open {
		return // a late report from a transport already let go
	}
	more = more && r == Active && s.info.Polled
	if r == Active && s.info.Polled && !more {
		s.polling = false
	}
	if r == Probe && m.step < stepUpgradeSent {
		m.probeReceived(pkts)
		return
	}
	for i := range pkts {
		if m.State() == Disconnected || !s.open {
			return
		}
		m.packet(r, &pkts[i])
	}
	if r == Probe || more {
		return
	}
	switch m.State() {
	case Upgrading:
		if m.step == stepPausing {
			m.maybePaused()
			return
		}
		m.poll()
	case Handshaking, Open:
		m.poll()
	}
}

// packet handles one packet on the transport carrying the session.
func (m *Machine) packet(r Role, p *codec.Packet) {
	if m.State() == Handshaking {
		m.handshake(*p)
		return
	}
	switch p.Type {
	case codec.Message:
		m.emit(Deliver{Packet: p})
	case codec.Noop:
	case codec.Close:
		if m.State() == Closing && m.closeSent {
			// The server confirms the close the client asked for.
			m.finish(EvClosed, ReasonClientDisconnect, nil)
			return
		}
		m.finish(EvServerClose, ReasonServerDisconnect, nil)
	case codec.Ping:
		if m.cfg.Revision == codec.V3 {
			m.protocolError(r, *p, "a v3 server never pings")
			return
		}
		m.setTimer(TimerHeartbeat, m.hs.PingInterval+m.hs.PingTimeout)
		m.emit(Pinged{})
		if len(m.buf) > 0 && m.buf[0].Type == codec.Pong {
			// One unwritten pong answers every ping: a burst of pings, or
			// pings while writes stall, cannot grow the buffer.
			m.buf[0].Data = p.Data
			return
		}
		m.queueFront(codec.Packet{Type: codec.Pong, Data: p.Data})
	case codec.Pong:
		if m.cfg.Revision == codec.V4 {
			m.protocolError(r, *p, "a v4 server never sends pong outside an upgrade probe")
			return
		}
		m.stopTimer(TimerPong)
		m.setTimer(TimerHeartbeat, m.hs.PingInterval)
		m.emit(Pinged{})
	default:
		m.protocolError(r, *p, "unexpected "+p.Type.String()+" packet")
	}
}

// queueFront queues a control packet ahead of buffered messages that have
// not been handed to a transport, and writes it when possible.
func (m *Machine) queueFront(p codec.Packet) {
	m.buf = append(m.buf, codec.Packet{})
	copy(m.buf[1:], m.buf)
	m.buf[0] = p
	m.flush()
}

// handshake handles the first packet of a session.
func (m *Machine) handshake(p codec.Packet) {
	if p.Type != codec.Open || p.Binary {
		m.connectFailed(&ProtocolError{State: Handshaking, Role: Active, Packet: &p,
			Msg: "expected an open packet"})
		return
	}
	hs, err := codec.ParseHandshake(p.Data)
	if err != nil {
		m.connectFailed(&ProtocolError{State: Handshaking, Role: Active, Msg: "bad open packet", Err: err})
		return
	}
	m.hs = hs
	m.connected = true
	m.fire(EvHandshakeOK)
	m.emit(Connected{Handshake: hs, Transport: m.active.info.Name})
	if m.cfg.Revision == codec.V3 {
		m.setTimer(TimerHeartbeat, hs.PingInterval)
	} else {
		m.setTimer(TimerHeartbeat, hs.PingInterval+hs.PingTimeout)
	}
	if m.active.info.Polled {
		m.startUpgrade(true)
	}
	m.flush()
}

func (m *Machine) connectFailed(err error) {
	m.closeAll()
	m.fire(EvHandshakeFailed)
	m.dropBuffer()
	m.emit(Finished{Err: err})
}

// dropBuffer reports every buffered packet as never to be written.
func (m *Machine) dropBuffer() {
	if len(m.buf) > 0 {
		m.emit(SendFailed{Packets: m.buf, Err: ErrClosed})
		m.buf = nil
	}
}

// protocolError ends the session for a packet the protocol does not allow.
// It takes the packet by value so that the common path of packet() keeps
// its argument off the heap.
func (m *Machine) protocolError(r Role, p codec.Packet, msg string) {
	m.finish(EvProtocolError, ReasonProtocolError, &ProtocolError{State: m.State(), Role: r, Packet: &p, Msg: msg})
}

func (m *Machine) malformed(r Role, err error) {
	s := m.slot(r)
	if !s.open {
		return
	}
	if r == Probe && m.step < stepUpgradeSent {
		m.abandonUpgrade(&ProtocolError{State: m.State(), Role: r, Msg: "undecodable data on probe", Err: err})
		return
	}
	if m.State() == Handshaking {
		m.connectFailed(&ProtocolError{State: Handshaking, Role: r, Msg: "undecodable handshake", Err: err})
		return
	}
	m.finish(EvProtocolError, ReasonProtocolError, &ProtocolError{State: m.State(), Role: r, Msg: "undecodable data", Err: err})
}

func (m *Machine) failed(r Role, err error) {
	s := m.slot(r)
	if !s.open {
		return
	}
	if r == Probe && m.step < stepUpgradeSent {
		m.abandonUpgrade(err)
		return
	}
	switch m.State() {
	case Handshaking:
		m.connectFailed(err)
	case Closing:
		if m.closeSent {
			// The close packet is out: the server ending the transport
			// completes the close the client asked for.
			m.finish(EvClosed, ReasonClientDisconnect, nil)
			return
		}
		// Buffered messages may be lost: that is a transport error.
		m.finish(EvTransportError, ReasonTransportError, err)
	default:
		m.finish(EvTransportError, ReasonTransportError, err)
	}
}

// closed handles a transport the server closed cleanly: on the active
// transport it ends the session as the server's close, like a close packet.
func (m *Machine) closed(r Role, err error) {
	s := m.slot(r)
	if !s.open {
		return
	}
	if r == Probe && m.step < stepUpgradeSent {
		if err == nil {
			err = fmt.Errorf("closed")
		}
		m.abandonUpgrade(fmt.Errorf("the server closed the probe: %w", err))
		return
	}
	switch m.State() {
	case Handshaking:
		m.connectFailed(&ProtocolError{State: Handshaking, Role: r, Msg: "the server closed the transport before the handshake", Err: err})
	case Closing:
		if m.closeSent {
			m.finish(EvClosed, ReasonClientDisconnect, nil)
			return
		}
		m.finish(EvServerClose, ReasonServerDisconnect, nil)
	default:
		m.finish(EvServerClose, ReasonServerDisconnect, nil)
	}
}

// closeAll stops every timer and closes every open transport.
func (m *Machine) closeAll() {
	for t := Timer(0); t < numTimers; t++ {
		m.stopTimer(t)
	}
	if m.probe.open {
		m.probe = slot{}
		m.emit(CloseTransport{Role: Probe})
	}
	if m.active.open {
		m.active = slot{info: m.active.info}
		m.emit(CloseTransport{Role: Active})
	}
	m.step = stepNone
	m.hold = false
}

// finish ends an established session with ev, which must lead to
// Disconnected from the current state.
func (m *Machine) finish(ev Event, reason Reason, err error) {
	m.closeAll()
	m.fire(ev)
	m.dropBuffer()
	m.emit(Finished{Reason: reason, Err: err, Connected: m.connected})
}
