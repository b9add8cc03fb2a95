package codec

import (
	"encoding/json"
	"errors"
	"math"
	"time"
)

// Handshake is the session description a server sends in the open packet.
type Handshake struct {
	SID      string   // session id, sent back as the sid query parameter
	Upgrades []string // transports the client may upgrade to
	// PingInterval and PingTimeout are the heartbeat timings, sent in
	// milliseconds; fractions of a millisecond are kept. Values above
	// [MaxInterval] are clamped to it, so that sums of the two and a
	// request timeout never overflow a Duration. Zero is accepted (a
	// server advertising pingInterval 0 means "at once"); negative values
	// are rejected.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// MaxPayload bounds a polling payload in bytes; 0 when the server did
	// not send it (revision 3 servers), meaning no limit. A fractional
	// value is rounded down and one beyond the int range is clamped.
	MaxPayload int
}

type handshakeJSON struct {
	SID          *string  `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval *float64 `json:"pingInterval"`
	PingTimeout  *float64 `json:"pingTimeout"`
	MaxPayload   *float64 `json:"maxPayload"`
}

// ParseHandshake parses the JSON data of an open packet, the packet's data
// without its type digit. sid, pingInterval and pingTimeout are required;
// maxPayload is optional, and unknown keys are ignored. Failures are
// [*Error] values matching [ErrHandshake]; for malformed JSON the offset is
// the one encoding/json reports.
func ParseHandshake(data []byte) (Handshake, error) {
	var j handshakeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		off := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = int(se.Offset)
		case errors.As(err, &te):
			off = int(te.Offset)
		}
		return Handshake{}, errorf(ErrHandshake, off, "invalid JSON: %v", err)
	}
	switch {
	case j.SID == nil || *j.SID == "":
		return Handshake{}, errorf(ErrHandshake, 0, "missing sid")
	case j.PingInterval == nil || *j.PingInterval < 0:
		return Handshake{}, errorf(ErrHandshake, 0, "missing or negative pingInterval")
	case j.PingTimeout == nil || *j.PingTimeout < 0:
		return Handshake{}, errorf(ErrHandshake, 0, "missing or negative pingTimeout")
	case j.MaxPayload != nil && *j.MaxPayload < 0:
		return Handshake{}, errorf(ErrHandshake, 0, "negative maxPayload")
	}
	h := Handshake{
		SID:          *j.SID,
		Upgrades:     j.Upgrades,
		PingInterval: millis(*j.PingInterval),
		PingTimeout:  millis(*j.PingTimeout),
	}
	if j.MaxPayload != nil {
		h.MaxPayload = clampInt(*j.MaxPayload)
	}
	return h, nil
}

// MaxInterval is the largest heartbeat timing [ParseHandshake] returns:
// 2^31-1 ms, about 24.8 days, the longest delay a JavaScript timer of an
// engine.io server can wait. A larger advertised value is clamped to it.
const MaxInterval = math.MaxInt32 * time.Millisecond

func millis(v float64) time.Duration {
	if v >= float64(MaxInterval/time.Millisecond) {
		return MaxInterval
	}
	return time.Duration(v * float64(time.Millisecond))
}

// clampInt converts v >= 0 to an int, rounding down and saturating at
// math.MaxInt (a float64 beyond the int range converts to an unspecified
// value in Go).
func clampInt(v float64) int {
	if v >= math.MaxInt {
		return math.MaxInt
	}
	return int(v)
}
