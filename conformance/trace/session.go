package trace

import (
	"time"

	"github.com/eio-go/eio/codec"
)

// Stream returns the packets that went in direction dir on transport (Polling,
// WebSocket, or "" for both), in order.
func (s *Session) Stream(transport string, dir Direction) []codec.Packet {
	var pkts []codec.Packet
	for i := range s.Events {
		e := &s.Events[i]
		if e.Dir == dir && (transport == "" || e.Transport == transport) {
			pkts = append(pkts, e.Packets...)
		}
	}
	return pkts
}

// ServerEvents returns the events that show the server's behaviour — its
// responses, frames, errors and WebSocket acceptances — in order.
func (s *Session) ServerEvents() []Event {
	var evs []Event
	for _, e := range s.Events {
		if e.Dir == ServerToClient {
			evs = append(evs, e)
		}
	}
	return evs
}

// ActionKind is what the application did.
type ActionKind int

// The application actions a trace shows.
const (
	// ActionSend is the application sending a message.
	ActionSend ActionKind = iota + 1
	// ActionDisconnect is the application closing the session.
	ActionDisconnect
)

// String returns "send" or "disconnect".
func (k ActionKind) String() string {
	switch k {
	case ActionSend:
		return "send"
	case ActionDisconnect:
		return "disconnect"
	}
	return "ActionKind(?)"
}

// Action is one thing the application did through the client's API.
type Action struct {
	Kind ActionKind
	// Time is when the packet showing it left the client.
	Time time.Time
	// Packet is the message sent (ActionSend) or the close packet
	// (ActionDisconnect).
	Packet codec.Packet
	// Event is the index in Session.Events of the event that carried it.
	Event int
}

// AppActions returns what the application did, in order: every message
// packet the client sent, and an ActionDisconnect when the client sent a
// close packet before the server did. Protocol packets (pong, probe,
// upgrade, noop) are not actions.
//
// An application that disconnects while on WebSocket shows no close
// packet, since clients just close the socket; [Session.Ending] reports
// such an end as [EndTransportClosed].
func (s *Session) AppActions() []Action {
	var acts []Action
	for i := range s.Events {
		e := &s.Events[i]
		for _, p := range e.Packets {
			switch {
			case p.Type == codec.Close && e.Dir == ServerToClient:
				return acts
			case p.Type == codec.Close && e.Dir == ClientToServer:
				return append(acts, Action{Kind: ActionDisconnect, Time: e.Time, Packet: p, Event: i})
			case p.Type == codec.Message && e.Dir == ClientToServer:
				acts = append(acts, Action{Kind: ActionSend, Time: e.Time, Packet: p, Event: i})
			}
		}
	}
	return acts
}

// EndKind says how a session ended.
type EndKind int

// The ways a session can end in a trace.
const (
	// EndUnknown is a trace that stops without any sign of an end, for
	// instance with a poll still pending.
	EndUnknown EndKind = iota
	// EndClientClose is the client sending a close packet first.
	EndClientClose
	// EndServerClose is the server sending a close packet first.
	EndServerClose
	// EndHTTPError is a session whose last event is an HTTP error, such
	// as a 400 for an unknown sid or a failed handshake.
	EndHTTPError
	// EndTransportClosed is a session whose last event is the end of a
	// WebSocket with no close packet either way: the application closed it
	// or the connection was lost, which a HAR cannot tell apart.
	EndTransportClosed
)

var endNames = [...]string{"unknown", "client_close", "server_close", "http_error", "transport_closed"}

// String returns the kind's name in snake case.
func (k EndKind) String() string {
	if k >= 0 && int(k) < len(endNames) {
		return endNames[k]
	}
	return "EndKind(?)"
}

// Ending describes how a session ended.
type Ending struct {
	Kind EndKind
	// Time is when: the close packet's event, or the last event.
	Time time.Time
	// Event is the index in Session.Events of that event, -1 for
	// EndUnknown on a session without events.
	Event int
}

// Ending reports how the session ended: by the first close packet in
// either direction, else by its last event.
func (s *Session) Ending() Ending {
	for i := range s.Events {
		e := &s.Events[i]
		for _, p := range e.Packets {
			if p.Type != codec.Close {
				continue
			}
			k := EndServerClose
			if e.Dir == ClientToServer {
				k = EndClientClose
			}
			return Ending{Kind: k, Time: e.Time, Event: i}
		}
	}
	if len(s.Events) == 0 {
		return Ending{Kind: EndUnknown, Event: -1}
	}
	i := len(s.Events) - 1
	last := &s.Events[i]
	k := EndUnknown
	switch last.Kind {
	case HTTPError:
		k = EndHTTPError
	case WSClose:
		k = EndTransportClosed
	}
	return Ending{Kind: k, Time: last.Time, Event: i}
}
