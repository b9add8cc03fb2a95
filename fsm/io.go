package fsm

import (
	"fmt"
	"time"

	"github.com/eio-go/eio/codec"
)

// Role names the part a transport plays in a session: the active transport
// carries the session; a probe transport is being tried for an upgrade.
type Role uint8

// The two transport roles.
const (
	Active Role = iota
	Probe
)

// String returns "active" or "probe".
func (r Role) String() string {
	if r == Probe {
		return "probe"
	}
	return "active"
}

// TransportInfo describes a transport to the machine by what matters to
// the protocol, never by its concrete type.
type TransportInfo struct {
	// Name is the transport's name on the wire ("polling", "websocket").
	Name string
	// Polled is true for request-driven transports (HTTP long-polling):
	// the machine asks for each read with a [Poll] effect and must pause
	// them before an upgrade. Other transports read continuously.
	Polled bool
}

// Timer identifies one of the machine's timers.
type Timer uint8

// The machine's timers.
const (
	// TimerHeartbeat: v4 — the deadline for the next server ping
	// (pingInterval + pingTimeout); v3 — when to send the next ping.
	TimerHeartbeat Timer = iota
	// TimerPong: v3 only — the deadline for the server's pong.
	TimerPong
	// TimerProbe: the deadline for a probe transport to open and answer.
	TimerProbe
	// TimerProbeHold: how long polling is held back while a probe is
	// tried right after the handshake.
	TimerProbeHold
	// TimerClose: the deadline for a graceful close to finish.
	TimerClose
	numTimers
)

var timerNames = [...]string{"heartbeat", "pong", "probe", "probe_hold", "close"}

// String returns the timer's name.
func (t Timer) String() string {
	if t < numTimers {
		return timerNames[t]
	}
	return fmt.Sprintf("Timer(%d)", int(t))
}

// Reason says why a session ended.
type Reason string

// The reasons a session ends with.
const (
	ReasonClientDisconnect Reason = "client disconnect"
	ReasonServerDisconnect Reason = "server disconnect"
	ReasonTransportError   Reason = "transport error"
	ReasonPingTimeout      Reason = "ping timeout"
	ReasonProtocolError    Reason = "protocol error"
)

// Input is something that happened: a user command, a transport report or
// a timer fire. The concrete types are listed in the package doc.
type Input interface{ input() }

// Connect starts a session.
type Connect struct {
	// Revision is the protocol revision (codec.V4 or codec.V3).
	Revision codec.Revision
	// Transports lists the transports to use, in upgrade order; the
	// first one carries the handshake.
	Transports []TransportInfo
	// NoUpgrade disables upgrades to later transports.
	NoUpgrade bool
	// ProbeTimeout bounds an upgrade probe, from opening the transport to
	// its answer. Zero means 10 s.
	ProbeTimeout time.Duration
	// ProbeHold bounds how long polling waits for a probe started right
	// after the handshake before it polls anyway. Zero means 1 s.
	ProbeHold time.Duration
	// CloseTimeout bounds a graceful close. Zero means
	// [DefaultCloseTimeout].
	CloseTimeout time.Duration
	// MaxPacketsPerPayload bounds the packets of one polling payload (one
	// POST); negative means no bound beyond maxPayload. Zero means
	// [AutoMaxPackets] when the server's handshake has no maxPayload
	// (python-engineio, which drops a POST of more than 16 packets while
	// answering 200, and revision 3 servers) and no bound when it has one
	// (engine.io 4 and later).
	MaxPacketsPerPayload int
}

// AutoMaxPackets is the bound on packets per polling payload used with
// servers that advertise no maxPayload.
const AutoMaxPackets = 16

// Opened reports that a transport the machine asked for is open.
type Opened struct{ Role Role }

// Received reports packets that arrived on a transport. For a polled
// transport it also reports that the poll finished, unless More is set.
type Received struct {
	Role    Role
	Packets []codec.Packet
	// More is set when the poll's response has packets that come in later
	// Received inputs (a transport that returns a large payload in parts):
	// the poll has not finished. Only a polled transport carrying the
	// session sets it.
	More bool
}

// Wrote reports that the last [Write] on a transport completed.
type Wrote struct{ Role Role }

// Failed reports that a transport failed (dial, read or write error).
type Failed struct {
	Role Role
	Err  error
}

// Closed reports that the server closed a transport cleanly (for a
// WebSocket, a close frame with a normal status) without a close packet.
type Closed struct {
	Role Role
	Err  error // what the transport reported, such as the close status and reason
}

// Malformed reports that a transport received bytes the codec rejected.
type Malformed struct {
	Role Role
	Err  error
}

// TimerFired reports that a timer armed by [SetTimer] fired. Gen must be
// the generation the machine gave; stale fires are ignored.
type TimerFired struct {
	Timer Timer
	Gen   uint64
}

// Send queues packets from the application.
type Send struct{ Packets []codec.Packet }

// Disconnect asks to end the session: gracefully (flush, then a close
// packet) or, with Abort, at once.
type Disconnect struct{ Abort bool }

func (Connect) input()    {}
func (Opened) input()     {}
func (Received) input()   {}
func (Wrote) input()      {}
func (Failed) input()     {}
func (Malformed) input()  {}
func (Closed) input()     {}
func (TimerFired) input() {}
func (Send) input()       {}
func (Disconnect) input() {}

// Effect is something the machine asks the runtime to do, in order.
type Effect interface{ effect() }

// Transitioned records a state change.
type Transitioned struct {
	From, To State
	Event    Event
}

// OpenTransport asks to open the named transport in a role. SID is empty
// for the handshake transport.
type OpenTransport struct {
	Role Role
	Name string
	SID  string
}

// CloseTransport asks to close the transport in a role and release it.
type CloseTransport struct{ Role Role }

// Write asks to write packets on a transport, as one polling payload or as
// consecutive frames; the runtime answers with [Wrote] or [Failed].
// The machine reuses Packets' memory after that answer: a runtime that
// keeps the packets longer copies them.
type Write struct {
	Role    Role
	Packets []codec.Packet
}

// Poll asks a polled transport for one read (a long-poll request); the
// runtime answers with [Received], [Failed] or [Malformed].
type Poll struct{ Role Role }

// Promote makes the probe transport the active one; the runtime closes the
// previous active transport.
type Promote struct{}

// SetTimer arms a timer; it replaces any earlier arming of the same timer.
type SetTimer struct {
	Timer Timer
	After time.Duration
	Gen   uint64
}

// StopTimer disarms a timer.
type StopTimer struct{ Timer Timer }

// Connected tells the application that the handshake succeeded.
type Connected struct {
	Handshake codec.Handshake
	Transport string
}

// Deliver hands a received message to the application. Packet points
// into the Packets of the [Received] input that caused it, so that
// handing a message over costs no allocation (a struct of one pointer
// fits an interface as it is); it is valid as long as that slice is.
type Deliver struct{ Packet *codec.Packet }

// Pinged reports a heartbeat: a v4 ping received or a v3 pong received.
type Pinged struct{}

// Upgraded tells the application that the session moved to Transport.
type Upgraded struct{ Transport string }

// UpgradeFailed tells the application that an upgrade was abandoned; the
// session goes on on its current transport.
type UpgradeFailed struct {
	Transport string
	Err       error
}

// SendFailed reports packets the machine will never write, and why.
type SendFailed struct {
	Packets []codec.Packet
	Err     error
}

// Finished ends the session. Connected is false when the handshake never
// completed; Err then says why the connection failed.
type Finished struct {
	Reason    Reason
	Err       error
	Connected bool
}

func (Transitioned) effect()   {}
func (OpenTransport) effect()  {}
func (CloseTransport) effect() {}
func (Write) effect()          {}
func (Poll) effect()           {}
func (Promote) effect()        {}
func (SetTimer) effect()       {}
func (StopTimer) effect()      {}
func (Connected) effect()      {}
func (Deliver) effect()        {}
func (Pinged) effect()         {}
func (Upgraded) effect()       {}
func (UpgradeFailed) effect()  {}
func (SendFailed) effect()     {}
func (Finished) effect()       {}
