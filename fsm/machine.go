package fsm

import (
	"fmt"
	"time"

	"github.com/eio-go/eio/codec"
)

// upgradeStep is the sub-step of an upgrade in progress.
type upgradeStep uint8

const (
	stepNone        upgradeStep = iota
	stepDialing                 // probe transport opening
	stepProbing                 // "2probe" sent, waiting for "3probe"
	stepPausing                 // probe answered; waiting for polling to go idle
	stepUpgradeSent             // "5" written on the probe; waiting for it to complete
)

var stepNames = [...]string{"none", "dialing", "probing", "pausing", "upgrade_sent"}

func (s upgradeStep) String() string { return stepNames[s] }

// slot is a transport the machine uses, by role.
type slot struct {
	info    TransportInfo
	open    bool // present (asked to open and not closed)
	ready   bool // Opened reported
	writing bool // a Write is outstanding
	polling bool // a Poll is outstanding

	// batch holds the packets of flush's last Write; it is reused once
	// the Write was reported done (see maxKeptBatch).
	batch []codec.Packet
}

// DefaultCloseTimeout bounds a graceful close when
// [Connect].CloseTimeout is zero.
const DefaultCloseTimeout = 5 * time.Second

// maxKeptBatch bounds the batch a slot keeps for reuse.
const maxKeptBatch = 64

// Machine is the lifecycle machine of one connection. The zero value is not
// usable; call [New].
type Machine struct {
	lc  lifecycle
	cfg Connect

	hs        codec.Handshake
	connected bool
	active    slot
	probe     slot
	next      int // index in cfg.Transports of the next upgrade candidate

	buf  []codec.Packet // write buffer, in send order
	step upgradeStep
	hold bool // polling held back while the first probe is tried

	closeSent bool // close packet handed to a Write
	gen       [numTimers]uint64
	armed     [numTimers]bool

	out []Effect
}

// New returns a machine in the [Disconnected] state.
func New() *Machine { return &Machine{lc: newLifecycle()} }

// State returns the current lifecycle state.
func (m *Machine) State() State { return m.lc.state() }

// Handshake returns the session's handshake; it is the zero value before
// the handshake completes.
func (m *Machine) Handshake() codec.Handshake { return m.hs }

// Revision returns the protocol revision of the current or last session.
func (m *Machine) Revision() codec.Revision { return m.cfg.Revision }

// Transport returns the name of the active transport, or "" when there is
// none.
func (m *Machine) Transport() string {
	if !m.active.open {
		return ""
	}
	return m.active.info.Name
}

// Buffered returns the number of packets waiting in the write buffer.
func (m *Machine) Buffered() int { return len(m.buf) }

// UpgradeStep returns the sub-step of an upgrade in progress ("none",
// "dialing", "probing", "pausing" or "upgrade_sent"), for traces.
func (m *Machine) UpgradeStep() string { return m.step.String() }

// Step feeds one input to the machine and returns the effects to carry
// out, in order. The returned slice is valid until the next call.
func (m *Machine) Step(in Input) []Effect {
	m.out = m.out[:0]
	switch in := in.(type) {
	case Connect:
		m.connect(in)
	case Opened:
		m.opened(in.Role)
	case Received:
		m.received(in.Role, in.Packets, in.More)
	case Wrote:
		m.wrote(in.Role)
	case Failed:
		m.failed(in.Role, in.Err)
	case Malformed:
		m.malformed(in.Role, in.Err)
	case Closed:
		m.closed(in.Role, in.Err)
	case TimerFired:
		m.timerFired(in)
	case Send:
		m.send(in.Packets)
	case Disconnect:
		m.disconnect(in.Abort)
	}
	return m.out
}

func (m *Machine) emit(e Effect) { m.out = append(m.out, e) }

// fire applies a lifecycle event and records the transition. The callers
// only fire events the table allows in the current state; a rejected one
// is a bug in this package.
func (m *Machine) fire(ev Event) {
	from, to, err := m.lc.fire(ev)
	if err != nil {
		panic(fmt.Sprintf("fsm: internal error: %v", err))
	}
	m.emit(Transitioned{From: from, To: to, Event: ev})
}

func (m *Machine) setTimer(t Timer, d time.Duration) {
	m.gen[t]++
	m.armed[t] = true
	m.emit(SetTimer{Timer: t, After: d, Gen: m.gen[t]})
}

func (m *Machine) stopTimer(t Timer) {
	if m.armed[t] {
		m.armed[t] = false
		m.gen[t]++
		m.emit(StopTimer{Timer: t})
	}
}

func (m *Machine) slot(r Role) *slot {
	if r == Probe {
		return &m.probe
	}
	return &m.active
}

// connect starts a session from Disconnected; elsewhere it is ignored.
func (m *Machine) connect(in Connect) {
	if m.State() != Disconnected || len(in.Transports) == 0 {
		return
	}
	if in.ProbeTimeout <= 0 {
		in.ProbeTimeout = 10 * time.Second
	}
	if in.ProbeHold <= 0 {
		in.ProbeHold = time.Second
	}
	if in.CloseTimeout <= 0 {
		in.CloseTimeout = DefaultCloseTimeout
	}
	if !in.Revision.Valid() {
		in.Revision = codec.V4
	}
	*m = Machine{lc: m.lc, cfg: in, out: m.out}
	m.next = 1
	m.fire(EvConnect)
	m.active = slot{info: in.Transports[0], open: true}
	m.emit(OpenTransport{Role: Active, Name: in.Transports[0].Name})
}

func (m *Machine) opened(r Role) {
	s := m.slot(r)
	if !s.open || s.ready {
		return
	}
	s.ready = true
	if r == Active {
		if m.State() == Handshaking && s.info.Polled {
			m.poll()
		}
		return
	}
	if m.step == stepDialing {
		m.step = stepProbing
		m.probe.writing = true
		m.emit(Write{Role: Probe, Packets: []codec.Packet{codec.ProbePing}})
	}
}

// poll issues a long-poll on the active transport when one may be issued.
func (m *Machine) poll() {
	a := &m.active
	if !a.info.Polled || !a.ready || a.polling || m.hold {
		return
	}
	switch m.State() {
	case Handshaking, Open:
	case Upgrading:
		if m.step >= stepPausing {
			return
		}
	default:
		return
	}
	a.polling = true
	m.emit(Poll{Role: Active})
}

func (m *Machine) wrote(r Role) {
	s := m.slot(r)
	if !s.open || !s.writing {
		return
	}
	s.writing = false
	clear(s.batch)
	if cap(s.batch) > maxKeptBatch {
		s.batch = nil
	}
	if r == Probe {
		m.probeWrote()
		return
	}
	switch m.State() {
	case Closing:
		m.advanceClose()
	case Upgrading:
		if m.step == stepPausing {
			m.maybePaused()
			return
		}
		m.flush()
	default:
		m.flush()
	}
}

func (m *Machine) send(pkts []codec.Packet) {
	switch m.State() {
	case Handshaking, Open, Upgrading:
		m.buf = append(m.buf, pkts...)
		m.flush()
	default:
		m.emit(SendFailed{Packets: pkts, Err: ErrClosed})
	}
}

// flush writes buffered packets on the active transport if it may write.
func (m *Machine) flush() {
	a := &m.active
	if len(m.buf) == 0 || !a.ready || a.writing {
		return
	}
	switch m.State() {
	case Open:
	case Upgrading, Closing:
		// Polling is quiet from the pause until the switch, also when a
		// close began after the upgrade packet was sent.
		if m.step >= stepPausing {
			return
		}
	default:
		return
	}
	n := len(m.buf)
	if a.info.Polled {
		for {
			var err error
			n, err = codec.Batch(m.cfg.Revision, m.buf, m.hs.MaxPayload)
			if err == nil {
				break
			}
			m.emit(SendFailed{Packets: m.buf[:1:1], Err: err})
			m.buf = m.buf[1:]
			if len(m.buf) == 0 {
				return
			}
		}
		if max := m.maxPackets(); max > 0 && n > max {
			n = max
		}
	}
	batch := append(a.batch[:0], m.buf[:n]...)
	a.batch = batch
	m.buf = append(m.buf[:0], m.buf[n:]...)
	a.writing = true
	m.emit(Write{Role: Active, Packets: batch})
}

// maxPackets is the bound on packets per polling payload, or 0 for none.
func (m *Machine) maxPackets() int {
	switch n := m.cfg.MaxPacketsPerPayload; {
	case n > 0:
		return n
	case n < 0:
		return 0
	}
	if m.hs.MaxPayload == 0 {
		return AutoMaxPackets
	}
	return 0
}
