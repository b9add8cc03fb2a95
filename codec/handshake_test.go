package codec

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseHandshake(t *testing.T) {
	tests := []struct {
		name string
		json string
		want Handshake
	}{
		{"v4", `{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
			Handshake{SID: "abc", Upgrades: []string{"websocket"}, PingInterval: 25 * time.Second,
				PingTimeout: 20 * time.Second, MaxPayload: 1000000}},
		// SUITE3 "handshake": a revision 3 server may omit maxPayload.
		{"v3 without maxPayload", `{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":60000}`,
			Handshake{SID: "abc", Upgrades: []string{}, PingInterval: 25 * time.Second, PingTimeout: time.Minute}},
		{"extra keys", `{"sid":"s","pingInterval":1,"pingTimeout":2,"extra":{"a":[1,2]},"cookie":null}`,
			Handshake{SID: "s", PingInterval: time.Millisecond, PingTimeout: 2 * time.Millisecond}},
		{"no upgrades", `{"sid":"s","pingInterval":0,"pingTimeout":0}`, Handshake{SID: "s"}},
		{"fractional", `{"sid":"s","pingInterval":1.5,"pingTimeout":0.25,"maxPayload":1000.9}`,
			Handshake{SID: "s", PingInterval: 1500 * time.Microsecond, PingTimeout: 250 * time.Microsecond, MaxPayload: 1000}},
		{"exponent", `{"sid":"s","pingInterval":2.5e4,"pingTimeout":2E4,"maxPayload":1e6}`,
			Handshake{SID: "s", PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second, MaxPayload: 1000000}},
		{"huge", `{"sid":"s","pingInterval":1e300,"pingTimeout":1e20,"maxPayload":1e300}`,
			Handshake{SID: "s", PingInterval: MaxInterval, PingTimeout: MaxInterval, MaxPayload: math.MaxInt}},
		// A server's 1e15 ms is clamped: the sums the client arms timers
		// with (interval + timeout + a request timeout) must not overflow.
		{"absurd", `{"sid":"s","pingInterval":1e15,"pingTimeout":1e15}`,
			Handshake{SID: "s", PingInterval: MaxInterval, PingTimeout: MaxInterval}},
		{"at the clamp", `{"sid":"s","pingInterval":2147483647,"pingTimeout":2147483646.5}`,
			Handshake{SID: "s", PingInterval: MaxInterval, PingTimeout: MaxInterval - 500*time.Microsecond}},
		{"whitespace", " \n{ \"sid\" : \"s\", \"pingInterval\": 1, \"pingTimeout\": 1 }\t",
			Handshake{SID: "s", PingInterval: time.Millisecond, PingTimeout: time.Millisecond}},
		{"null maxPayload", `{"sid":"s","pingInterval":1,"pingTimeout":1,"maxPayload":null}`,
			Handshake{SID: "s", PingInterval: time.Millisecond, PingTimeout: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHandshake([]byte(tt.json))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseHandshakeErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		off  int
	}{
		{"empty", ``, 0},
		{"bad JSON", `{"sid":`, 7},
		{"trailing garbage", `{"sid":"s","pingInterval":1,"pingTimeout":1}x`, 45},
		{"not an object", `[1]`, -1},
		{"null", `null`, 0},
		{"missing sid", `{"pingInterval":1,"pingTimeout":1}`, 0},
		{"empty sid", `{"sid":"","pingInterval":1,"pingTimeout":1}`, 0},
		{"sid not a string", `{"sid":5,"pingInterval":1,"pingTimeout":1}`, -1},
		{"missing pingInterval", `{"sid":"s","pingTimeout":1}`, 0},
		{"missing pingTimeout", `{"sid":"s","pingInterval":1}`, 0},
		{"negative ping", `{"sid":"s","pingInterval":-1,"pingTimeout":1}`, 0},
		{"negative pingTimeout", `{"sid":"s","pingInterval":1,"pingTimeout":-1e15}`, 0},
		{"slightly negative ping", `{"sid":"s","pingInterval":-0.001,"pingTimeout":1}`, 0},
		{"negative maxPayload", `{"sid":"s","pingInterval":1,"pingTimeout":1,"maxPayload":-5}`, 0},
		{"string number", `{"sid":"s","pingInterval":"25000","pingTimeout":1}`, -1},
		{"number beyond float64", `{"sid":"s","pingInterval":1e400,"pingTimeout":1}`, -1},
		{"upgrades not a list", `{"sid":"s","upgrades":"websocket","pingInterval":1,"pingTimeout":1}`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHandshake([]byte(tt.json))
			requireError(t, err, ErrHandshake, tt.off)
			checkDecodeError(t, err, len(tt.json))
		})
	}
}
