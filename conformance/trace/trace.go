package trace

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/eio-go/eio/codec"
)

// Transport names, as the transport query parameter spells them.
const (
	Polling   = "polling"
	WebSocket = "websocket"
)

// Trace is the Engine.IO content of one HAR: its sessions, ordered by
// start time.
type Trace struct {
	Sessions []*Session
}

// Session returns the session with the given sid, or nil.
func (t *Trace) Session(sid string) *Session {
	for _, s := range t.Sessions {
		if s.SID == sid {
			return s
		}
	}
	return nil
}

// Session is one Engine.IO session: every request and WebSocket that
// carried its sid, and the handshake that assigned it.
type Session struct {
	// SID is the session id. It is empty for a session whose handshake
	// failed or whose handshake response the HAR does not hold.
	SID string
	// Revision is the protocol revision from the EIO query parameter.
	Revision codec.Revision
	// Path is the URL path of the Engine.IO endpoint, e.g. "/engine.io/".
	Path string
	// Query holds the query parameters the application added to the
	// handshake request: all but EIO, transport, sid, t and b64.
	Query url.Values
	// Handshake is the server's open packet, zero when the HAR holds no
	// successful handshake for the session.
	Handshake codec.Handshake
	// HandshakeTransport is the transport the handshake ran on, Polling or
	// WebSocket; empty when the HAR does not hold the handshake (it starts
	// in the middle of the session).
	HandshakeTransport string
	// Events lists what happened, in time order.
	Events []Event
	// Start and End are the times of the first and last event.
	Start, End time.Time
}

// Direction says which way an event went.
type Direction int

// The directions of an event. The zero Direction is used by [WSClose],
// which a HAR cannot attribute to either side.
const (
	ClientToServer Direction = iota + 1
	ServerToClient
)

// String returns "c->s", "s->c" or "none".
func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "c->s"
	case ServerToClient:
		return "s->c"
	case 0:
		return "none"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// EventKind is what an event records.
type EventKind int

// The kinds of event.
const (
	// PollRequest is a polling GET leaving the client; no packets.
	PollRequest EventKind = iota + 1
	// PollResponse is a successful polling GET response and its packets.
	PollResponse
	// PostRequest is a polling POST and the packets in its body.
	PostRequest
	// PostResponse is a successful polling POST response; no packets.
	PostResponse
	// WSOpen is a WebSocket whose opening handshake succeeded.
	WSOpen
	// WSFrame is one WebSocket frame and its packet.
	WSFrame
	// WSClose is the end of a WebSocket as far as the HAR records it: the
	// later of its last frame and the entry's end. A HAR does not record
	// close frames, nor whether the socket was still open when it was
	// saved.
	WSClose
	// HTTPError is a response with a status other than 2xx (or 101 for a
	// WebSocket), with the body in Event.Body; Status 0 marks a WebSocket
	// that never opened.
	HTTPError
)

var kindNames = [...]string{
	PollRequest:  "poll_request",
	PollResponse: "poll_response",
	PostRequest:  "post_request",
	PostResponse: "post_response",
	WSOpen:       "ws_open",
	WSFrame:      "ws_frame",
	WSClose:      "ws_close",
	HTTPError:    "http_error",
}

// String returns the kind's name in snake case, e.g. "poll_request".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one step of a session.
type Event struct {
	// Time is when it happened: a request's startedDateTime, a response's
	// startedDateTime plus its timings, a frame's own time. Times within
	// one HAR entry never go backwards.
	Time time.Time
	// Transport is Polling or WebSocket.
	Transport string
	Dir       Direction
	Kind      EventKind
	// Packets are the packets the event carried, decoded for the
	// session's revision; their data is owned by the trace.
	Packets []codec.Packet
	// Status is the HTTP status of a response event (101 for WSOpen).
	Status int
	// Body is the response body of an HTTPError.
	Body []byte
	// Entry is the index of the HAR entry the event came from.
	Entry int
}

// String renders the event without its time, e.g.
// `polling c->s post_request [message "hi", message <4 bytes>]`.
func (e *Event) String() string {
	var b strings.Builder
	b.WriteString(e.Transport)
	b.WriteByte(' ')
	b.WriteString(e.Dir.String())
	b.WriteByte(' ')
	b.WriteString(e.Kind.String())
	switch e.Kind {
	case PollResponse, PostResponse, WSOpen, HTTPError:
		b.WriteString(" status=")
		b.WriteString(strconv.Itoa(e.Status))
	}
	if len(e.Packets) > 0 {
		b.WriteString(" [")
		for i, p := range e.Packets {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p.String())
		}
		b.WriteByte(']')
	}
	if len(e.Body) > 0 {
		b.WriteString(" body=")
		b.WriteString(strconv.Quote(string(e.Body)))
	}
	return b.String()
}
