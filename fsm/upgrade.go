package fsm

import (
	"fmt"
	"slices"

	"github.com/eio-go/eio/codec"
)

// startUpgrade probes the next transport of the upgrade list that the
// server offers. first is true right after the handshake: polling is then
// held back until the probe settles or the hold runs out (ProbeHold, at
// most half the ping interval), so that no long-poll is parked on the
// server while the probe is answered.
func (m *Machine) startUpgrade(first bool) {
	if m.cfg.NoUpgrade || m.State() != Open || m.probe.open {
		return
	}
	for ; m.next < len(m.cfg.Transports); m.next++ {
		t := m.cfg.Transports[m.next]
		if t.Name == m.active.info.Name || !slices.Contains(m.hs.Upgrades, t.Name) {
			continue
		}
		m.next++
		m.fire(EvUpgradeProbe)
		m.probe = slot{info: t, open: true}
		m.step = stepDialing
		m.emit(OpenTransport{Role: Probe, Name: t.Name, SID: m.hs.SID})
		m.setTimer(TimerProbe, m.cfg.ProbeTimeout)
		if first && m.active.info.Polled {
			// The hold ends before the server's first ping can exist, so a
			// probe that hangs never starves the heartbeat.
			hold := m.cfg.ProbeHold
			if half := m.hs.PingInterval / 2; half < hold {
				hold = half
			}
			if hold > 0 {
				m.hold = true
				m.setTimer(TimerProbeHold, hold)
			}
		}
		return
	}
}

// probeReceived handles packets on the probe before the switch.
func (m *Machine) probeReceived(pkts []codec.Packet) {
	for i, p := range pkts {
		if p.Type == codec.Close {
			// The server ends the session, whichever transport says so.
			m.finish(EvServerClose, ReasonServerDisconnect, nil)
			return
		}
		if m.step != stepProbing || p.Type != codec.Pong || !p.IsProbe() {
			m.abandonUpgrade(&ProtocolError{State: m.State(), Role: Probe, Packet: &pkts[i],
				Msg: fmt.Sprintf("unexpected packet while %s", m.step)})
			return
		}
		m.step = stepPausing
		m.stopTimer(TimerProbe)
		m.releaseHold()
		m.maybePaused()
	}
}

// releaseHold ends the hold on polling started by startUpgrade.
func (m *Machine) releaseHold() {
	if m.hold {
		m.hold = false
		m.stopTimer(TimerProbeHold)
	}
}

// maybePaused sends the upgrade packet once the active transport is idle:
// no poll and no write outstanding.
func (m *Machine) maybePaused() {
	if m.step != stepPausing || m.active.polling || m.active.writing || m.probe.writing {
		return
	}
	m.step = stepUpgradeSent
	m.probe.writing = true
	m.emit(Write{Role: Probe, Packets: []codec.Packet{{Type: codec.Upgrade}}})
}

// probeWrote handles the completion of a write on the probe.
func (m *Machine) probeWrote() {
	if m.step == stepPausing {
		m.maybePaused() // the answer came before the write was reported
		return
	}
	if m.step != stepUpgradeSent {
		return // "2probe" written; the answer comes as Received
	}
	m.step = stepNone
	m.active = m.probe
	m.probe = slot{}
	m.emit(Promote{})
	if m.State() == Upgrading {
		m.fire(EvUpgradeOK)
	}
	m.emit(Upgraded{Transport: m.active.info.Name})
	if m.State() == Closing {
		m.advanceClose()
		return
	}
	m.flush()
}

// abandonUpgrade drops the probe and goes on on the active transport.
func (m *Machine) abandonUpgrade(cause error) {
	name := m.probe.info.Name
	m.probe = slot{}
	m.step = stepNone
	m.stopTimer(TimerProbe)
	m.releaseHold()
	m.emit(CloseTransport{Role: Probe})
	if m.State() == Upgrading {
		m.fire(EvUpgradeFailed)
	}
	m.emit(UpgradeFailed{Transport: name, Err: fmt.Errorf("%w: %w", ErrProbe, cause)})
	switch m.State() {
	case Open:
		m.poll()
		m.flush()
	case Closing:
		m.advanceClose()
	}
}
