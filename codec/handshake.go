package codec

import (
	"encoding/json"
	"time"
)

// Handshake is the session description a server sends in the open packet.
type Handshake struct {
	SID          string
	Upgrades     []string
	PingInterval time.Duration
	PingTimeout  time.Duration
	// MaxPayload bounds a polling payload in bytes; 0 when the server did
	// not send it (revision 3 servers), meaning no limit.
	MaxPayload int
}

type handshakeJSON struct {
	SID          *string  `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval *float64 `json:"pingInterval"`
	PingTimeout  *float64 `json:"pingTimeout"`
	MaxPayload   *float64 `json:"maxPayload"`
}

// ParseHandshake parses the JSON data of an open packet. sid, pingInterval
// and pingTimeout are required; unknown keys are ignored.
func ParseHandshake(data []byte) (Handshake, error) {
	var j handshakeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		off := 0
		if se, ok := err.(*json.SyntaxError); ok {
			off = int(se.Offset)
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
		h.MaxPayload = int(*j.MaxPayload)
	}
	return h, nil
}

func millis(v float64) time.Duration {
	const maxMillis = float64(1<<62) / float64(time.Millisecond)
	if v > maxMillis {
		v = maxMillis
	}
	return time.Duration(v * float64(time.Millisecond))
}
