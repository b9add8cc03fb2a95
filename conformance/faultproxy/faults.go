package faultproxy

import (
	"net/http"
	"strings"
	"time"
)

// Direction names one way of a proxied connection.
type Direction uint8

// The two directions.
const (
	Up   Direction = iota // client → server
	Down                  // server → client
)

// String returns "up" or "down".
func (d Direction) String() string {
	if d == Down {
		return "down"
	}
	return "up"
}

// Faults is what a [Proxy] does to the traffic it carries. The zero value
// forwards everything untouched. [Proxy.Set] replaces the faults of every
// connection, open or future, at once.
type Faults struct {
	// Up and Down shape the bytes of each direction.
	Up, Down Shape
	// HalfOpen stops forwarding in both directions while keeping both
	// sockets open: neither end learns anything until the faults change
	// or the proxy closes. Bytes held back are forwarded once it is off.
	HalfOpen bool
	// Rules apply to HTTP requests in [HTTP] mode: the first rule whose
	// Match accepts a request decides what happens to it. A rule with a
	// nil Match matches every request.
	Rules []Rule
	// DropFrame, in [HTTP] mode, drops the WebSocket frames of an
	// upgraded connection for which it returns true; the others pass
	// unchanged.
	DropFrame func(Direction, Frame) bool
}

// Shape is the byte-level faults of one direction, applied per
// connection. Counted bytes start at the later of the connection's start
// and the [Proxy.Set] call that installed the faults.
type Shape struct {
	// Latency delays every byte by this much from the moment the proxy
	// read it; throughput is unchanged.
	Latency time.Duration
	// Bandwidth limits the direction to this many bytes per second; zero
	// means no limit.
	Bandwidth int
	// Reset resets the connection (an RST to both ends: SO_LINGER 0, then
	// close) once ResetAfter bytes have been forwarded in this direction.
	Reset      bool
	ResetAfter int64
	// Garbage, when not nil, is inserted once into the stream after
	// GarbageAfter forwarded bytes.
	Garbage      []byte
	GarbageAfter int64
}

// Rule is an HTTP-level fault for the requests Match accepts.
type Rule struct {
	Match func(*http.Request) bool
	Fault HTTPFault
	// Times bounds how often the rule applies; zero means always.
	Times int
}

// HTTPFault is what happens to a request a [Rule] matched: an [Answer],
// a [Hang], a [Truncate] or a [ReplaceBody].
type HTTPFault interface{ httpFault() }

// Answer answers the request itself with Status and Body (as text/plain)
// and forwards nothing; the connection stays usable.
type Answer struct {
	Status int
	Body   string
}

// Hang reads the request and everything after it and never answers: a
// server that accepted the connection and went silent.
type Hang struct{}

// Truncate forwards the request, then sends the response's status line,
// headers (the full Content-Length included) and only the first Keep
// bytes of its body, and closes the connection.
type Truncate struct{ Keep int }

// ReplaceBody forwards the request and sends the response with its body
// replaced by Body (Content-Length adjusted, content coding dropped): a
// well-framed HTTP answer carrying whatever bytes the test wants.
type ReplaceBody struct{ Body []byte }

func (Answer) httpFault()      {}
func (Hang) httpFault()        {}
func (Truncate) httpFault()    {}
func (ReplaceBody) httpFault() {}

// Frame is one WebSocket frame seen in [HTTP] mode, its payload unmasked.
type Frame struct {
	Fin     bool
	Opcode  byte // 1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 continuation
	Payload []byte
}

// IsEngineProbe reports whether f is an Engine.IO upgrade probe: the
// client's "2probe" or the server's "3probe".
func IsEngineProbe(_ Direction, f Frame) bool {
	s := string(f.Payload)
	return f.Opcode == 1 && (s == "2probe" || s == "3probe")
}

// Predicates for [Rule.Match].

// IsWebSocket matches a WebSocket handshake.
func IsWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// IsHandshake matches a request opening an Engine.IO session: one
// without a sid, polling or WebSocket.
func IsHandshake(r *http.Request) bool { return !r.URL.Query().Has("sid") }

// IsPoll matches a long-poll GET of an open session.
func IsPoll(r *http.Request) bool {
	return r.Method == http.MethodGet && r.URL.Query().Has("sid") && !IsWebSocket(r)
}

// IsPost matches a polling POST.
func IsPost(r *http.Request) bool { return r.Method == http.MethodPost }

// All matches requests every one of ms matches.
func All(ms ...func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if !m(r) {
				return false
			}
		}
		return true
	}
}
