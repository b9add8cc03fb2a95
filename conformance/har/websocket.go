package har

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MessageType says which way a WebSocket frame went, as seen by the
// browser.
type MessageType string

// The two message types of Chrome's "_webSocketMessages".
const (
	// Send is a frame the browser (the client) sent.
	Send MessageType = "send"
	// Receive is a frame the browser received from the server.
	Receive MessageType = "receive"
)

// Valid reports whether t is [Send] or [Receive].
func (t MessageType) Valid() bool { return t == Send || t == Receive }

// Opcode is the WebSocket opcode of a data frame (RFC 6455, section 5.2).
type Opcode int

// The data frame opcodes a HAR records.
const (
	// OpText is a text frame; its data is the UTF-8 text itself.
	OpText Opcode = 1
	// OpBinary is a binary frame; its data is the payload in base64.
	OpBinary Opcode = 2
)

// Valid reports whether op is [OpText] or [OpBinary].
func (op Opcode) Valid() bool { return op == OpText || op == OpBinary }

// String returns "text", "binary" or the number.
func (op Opcode) String() string {
	switch op {
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	}
	return "Opcode(" + strconv.Itoa(int(op)) + ")"
}

// maxEpochSeconds bounds WebSocket message times: year 5138, far beyond
// any capture, and small enough to convert to time.Time exactly enough.
const maxEpochSeconds = 1e11

// WebSocketMessage is one frame of a WebSocket entry in Chrome's
// "_webSocketMessages" convention.
type WebSocketMessage struct {
	Type MessageType `json:"type"`
	// Time is when the frame was sent or received, in seconds since the
	// Unix epoch.
	Time   float64 `json:"time"`
	Opcode Opcode  `json:"opcode"`
	// Data is the frame's text for OpText and its base64 for OpBinary.
	Data string `json:"data"`
}

// Payload returns the frame's payload in a fresh slice, decoding base64
// for binary frames.
func (m *WebSocketMessage) Payload() ([]byte, error) {
	if m.Opcode == OpBinary {
		return decodeBase64(m.Data)
	}
	return []byte(m.Data), nil
}

// Binary reports whether the frame is a binary frame.
func (m *WebSocketMessage) Binary() bool { return m.Opcode == OpBinary }

// At returns Time as a time.Time in UTC, to the microsecond.
func (m *WebSocketMessage) At() time.Time {
	sec := m.Time
	if !(sec > 0) {
		return time.Unix(0, 0).UTC()
	}
	if sec > maxEpochSeconds {
		sec = maxEpochSeconds
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(math.Round(frac*1e6))*1e3).UTC()
}

// EpochSeconds converts t to the float seconds [WebSocketMessage.Time]
// holds.
func EpochSeconds(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}

// IsWebSocket reports whether e is a WebSocket connection: Chrome marks it
// with the "websocket" resource type, other tools use a ws: or wss: URL.
func (e *Entry) IsWebSocket() bool {
	if e.ResourceType == "websocket" || len(e.WebSocketMessages) > 0 {
		return true
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return false
	}
	s := strings.ToLower(u.Scheme)
	return s == "ws" || s == "wss"
}

// ResponseTime returns when the response was complete: StartedDateTime
// plus the entry's timings, or plus Time when the timings are all zero.
// For a WebSocket entry this is when the opening handshake finished.
func (e *Entry) ResponseTime() time.Time {
	d := e.Timings.Total()
	if d == 0 {
		d = Millis(e.Time)
	}
	return e.StartedDateTime.Add(d)
}
