package fsm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	lfsm "github.com/looplab/fsm"
)

// State is a lifecycle state of a connection.
type State string

// The five lifecycle states.
const (
	// Disconnected: no session; the initial and the final state.
	Disconnected State = "disconnected"
	// Handshaking: the first transport is open or opening and the client
	// waits for the server's open packet.
	Handshaking State = "handshaking"
	// Open: the session is established on one transport.
	Open State = "open"
	// Upgrading: a probe transport is being tried while the session goes
	// on; messages are held from the moment the probe is answered until the
	// switch.
	Upgrading State = "upgrading"
	// Closing: the client asked to close; buffered messages and a close
	// packet are being written.
	Closing State = "closing"
)

// String returns the state's name.
func (s State) String() string { return string(s) }

// Event names a transition of the lifecycle table.
type Event string

// The events of the lifecycle table.
const (
	EvConnect         Event = "connect"
	EvHandshakeOK     Event = "handshake_ok"
	EvHandshakeFailed Event = "handshake_failed"
	EvUpgradeProbe    Event = "upgrade_probe"
	EvUpgradeOK       Event = "upgrade_ok"
	EvUpgradeFailed   Event = "upgrade_failed"
	EvClose           Event = "close"
	EvClosed          Event = "closed"
	EvServerClose     Event = "server_close"
	EvTransportError  Event = "transport_error"
	EvPingTimeout     Event = "ping_timeout"
	EvProtocolError   Event = "protocol_error"
	EvAbort           Event = "abort"
)

// String returns the event's name.
func (e Event) String() string { return string(e) }

// Transition is one row of the lifecycle table: Event moves the machine
// from any of From to To.
type Transition struct {
	Event Event
	From  []State
	To    State
}

var live = []State{Handshaking, Open, Upgrading, Closing}

// table is the single source of truth for the lifecycle.
var table = []Transition{
	{EvConnect, []State{Disconnected}, Handshaking},
	{EvHandshakeOK, []State{Handshaking}, Open},
	{EvHandshakeFailed, []State{Handshaking}, Disconnected},
	{EvUpgradeProbe, []State{Open}, Upgrading},
	{EvUpgradeOK, []State{Upgrading}, Open},
	{EvUpgradeFailed, []State{Upgrading}, Open},
	{EvClose, []State{Open, Upgrading}, Closing},
	{EvClosed, []State{Closing}, Disconnected},
	{EvServerClose, []State{Open, Upgrading, Closing}, Disconnected},
	{EvTransportError, []State{Open, Upgrading, Closing}, Disconnected},
	{EvPingTimeout, []State{Open, Upgrading, Closing}, Disconnected},
	{EvProtocolError, []State{Open, Upgrading, Closing}, Disconnected},
	{EvAbort, live, Disconnected},
}

// States lists the five states in lifecycle order.
func States() []State {
	return []State{Disconnected, Handshaking, Open, Upgrading, Closing}
}

// Transitions returns a copy of the lifecycle table.
func Transitions() []Transition {
	out := make([]Transition, len(table))
	for i, t := range table {
		out[i] = Transition{Event: t.Event, From: append([]State(nil), t.From...), To: t.To}
	}
	return out
}

// ErrInvalidTransition matches, with errors.Is, every event the table does
// not allow in the current state.
var ErrInvalidTransition = errors.New("fsm: invalid transition")

// TransitionError reports an event the lifecycle table rejected.
type TransitionError struct {
	From  State
	Event Event
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("fsm: event %q not allowed in state %q", e.Event, e.From)
}

// Is makes a TransitionError match [ErrInvalidTransition].
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// lifecycle is a machine's lifecycle state, moved by looplab/fsm: typed
// states and events, no callbacks. A looplab FSM holds its transition
// table (about 2 KiB) next to its current state, so the machines share
// a pool of them instead of keeping one each: a fire borrows one, sets it
// to the machine's state, fires the event through it and reads the state
// it moved to. Fires happen a few times per session.
type lifecycle struct{ cur State }

var looplabs = sync.Pool{New: func() any { return newLooplab() }}

// newLooplab returns a looplab FSM of the table, in Disconnected.
func newLooplab() *lfsm.FSM {
	evs := make(lfsm.Events, 0, len(table))
	for _, t := range table {
		src := make([]string, len(t.From))
		for i, s := range t.From {
			src[i] = string(s)
		}
		evs = append(evs, lfsm.EventDesc{Name: string(t.Event), Src: src, Dst: string(t.To)})
	}
	return lfsm.NewFSM(string(Disconnected), evs, nil)
}

func newLifecycle() lifecycle { return lifecycle{cur: Disconnected} }

func (l *lifecycle) state() State { return l.cur }

// fire applies ev. The machine does no I/O, so looplab gets a context that
// is never cancelled: a cancelled one would wedge it.
func (l *lifecycle) fire(ev Event) (from, to State, err error) {
	from = l.cur
	f := looplabs.Get().(*lfsm.FSM)
	f.SetState(string(from))
	err = f.Event(context.Background(), string(ev))
	l.cur = State(f.Current())
	looplabs.Put(f)
	var noop lfsm.NoTransitionError
	switch {
	case err == nil:
	case errors.As(err, &noop) && noop.Err == nil:
		err = nil
	default:
		err = &TransitionError{From: from, Event: ev}
	}
	return from, l.cur, err
}

// Mermaid returns the lifecycle table as a Mermaid state diagram, rendered
// from a fresh machine so that the start marker points at [Disconnected].
// The lines are sorted, so the output is stable.
func Mermaid() string {
	s, err := lfsm.VisualizeWithType(newLooplab(), lfsm.MermaidStateDiagram)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 2 {
		body := lines[2:]
		sort.Strings(body)
		lines = append(lines[:2], body...)
	}
	return strings.Join(lines, "\n") + "\n"
}
