package codec

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The examples the protocol specifications and their test suites give,
// encoded and decoded byte for byte.
//
// SPEC4 is socketio/engine.io-protocol README.md on main (revision 4),
// SPEC3 the README.md of its v3 branch, SUITE3 test-suite/test-suite.js on
// that branch.

func TestSpecPayloads(t *testing.T) {
	bin := []byte{1, 2, 3, 4}
	tests := []struct {
		name   string
		rev    Revision
		wire   string
		binary bool // an application/octet-stream body
		pkts   []Packet
	}{
		// SPEC4 "Packet encoding" > "HTTP long-polling": packets joined by
		// the record separator.
		{"v4 text", V4, "4hello\x1e2\x1e4world", false,
			[]Packet{TextMessage("hello"), {Type: Ping}, TextMessage("world")}},
		// SPEC4 same section: a binary message as "b" + base64.
		{"v4 text and binary", V4, "4hello\x1ebAQIDBA==", false,
			[]Packet{TextMessage("hello"), BinaryMessage(bin)}},
		// SUITE3 "sends and receives several packets" style framing.
		{"v3 text", V3, "6:4hello6:4world", false,
			[]Packet{TextMessage("hello"), TextMessage("world")}},
		// SPEC3 "Payload", example without binary: lengths count
		// characters, so "4€" is 2 although it is 4 bytes.
		{"v3 euro", V3, "6:4hello2:4€", false,
			[]Packet{TextMessage("hello"), TextMessage("€")}},
		// SPEC3 "Payload", example where binary is not supported: base64
		// with the "b" marker and the type digit.
		{"v3 base64", V3, "2:4€10:b4AQIDBA==", false,
			[]Packet{TextMessage("€"), BinaryMessage(bin)}},
		// SUITE3 "sends and receives mixed text and binary packets".
		{"v3 text and base64", V3, "6:4hello10:b4AQIDBA==", false,
			[]Packet{TextMessage("hello"), BinaryMessage(bin)}},
		// SUITE3 "mixed packets (binary)": the octet-stream answer.
		{"v3 binary payload", V3, string([]byte{0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4}), true,
			[]Packet{TextMessage("hello"), BinaryMessage(bin)}},
		// SPEC3 "Payload", example with binary. The specification prints
		// "01 04 ff 01 02 03 04" for the buffer, dropping its type byte;
		// the reference parser and SUITE3 send the type byte, so the
		// length is 5.
		{"v3 binary payload euro", V3, "\x00\x04\xff4€\x01\x05\xff\x04\x01\x02\x03\x04", true,
			[]Packet{TextMessage("€"), BinaryMessage(bin)}},
		// SPEC3 "Payload": an empty list encodes as "0:" in text.
		{"v3 empty text", V3, "0:", false, []Packet{}},
		{"v3 empty binary", V3, "", true, []Packet{}},
		// SUITE3 heartbeat over polling: "1:2" and "1:3"; close "1:6".
		{"v3 ping", V3, "1:2", false, []Packet{{Type: Ping}}},
		{"v3 noop", V3, "1:6", false, []Packet{{Type: Noop}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var enc []byte
			if tt.binary {
				enc = AppendBinaryPayload(nil, tt.pkts)
			} else {
				enc = AppendPayload(nil, tt.rev, tt.pkts)
			}
			require.Equal(t, tt.wire, string(enc))

			got, err := DecodePayload(nil, tt.rev, []byte(tt.wire), tt.binary)
			require.NoError(t, err)
			require.Equal(t, normalize(tt.pkts), normalize(got))
		})
	}
}

// SPEC3 "Payload": the buffer as the specification prints it, without a
// type byte, is a different packet (type 1, close) to this codec and to the
// reference parser.
func TestSpecV3BinaryPayloadErratum(t *testing.T) {
	got, err := DecodePayload(nil, V3, []byte("\x00\x04\xff4€\x01\x04\xff\x01\x02\x03\x04"), true)
	require.NoError(t, err)
	require.Equal(t, []Packet{TextMessage("€"), {Type: Close, Data: []byte{2, 3, 4}, Binary: true}}, got)
}

// A binary packet of 1000 bytes (type byte and 999 data bytes) has the
// header 01 01 00 00 00 FF: one raw byte per decimal digit of 1000.
func TestSpecV3BinaryLengthDigits(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 999)
	enc := AppendBinaryPayload(nil, []Packet{BinaryMessage(data)})
	require.Equal(t, []byte{0x01, 0x01, 0x00, 0x00, 0x00, 0xFF, 0x04}, enc[:7])
	require.Len(t, enc, 6+1000)
	got, err := DecodePayload(nil, V3, enc, true)
	require.NoError(t, err)
	require.Equal(t, []Packet{BinaryMessage(data)}, got)
}

func TestSpecFrames(t *testing.T) {
	tests := []struct {
		name   string
		rev    Revision
		wire   []byte
		binary bool
		pkt    Packet
	}{
		// SPEC4 "Packet encoding" > "WebSocket": text as type + data,
		// binary sent as is.
		{"v4 text", V4, []byte("4hello"), false, TextMessage("hello")},
		{"v4 binary", V4, []byte{1, 2, 3, 4}, true, BinaryMessage([]byte{1, 2, 3, 4})},
		// SPEC4 "Upgrade": the probe pair.
		{"v4 probe", V4, []byte("2probe"), false, ProbePing},
		{"v4 ping", V4, []byte("2"), false, Packet{Type: Ping}},
		// SPEC3 "Packet": binary data after a raw type byte, the
		// specification's 4|0|1|2|3|4|5.
		{"v3 binary", V3, []byte{4, 0, 1, 2, 3, 4, 5}, true, BinaryMessage([]byte{0, 1, 2, 3, 4, 5})},
		// SUITE3 "sends and receives a binary packet" over WebSocket.
		{"v3 binary suite", V3, []byte{4, 1, 2, 3, 4}, true, BinaryMessage([]byte{1, 2, 3, 4})},
		{"v3 text", V3, []byte("4HelloWorld"), false, TextMessage("HelloWorld")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, binary := AppendFrame(nil, tt.rev, tt.pkt)
			require.Equal(t, tt.wire, enc)
			require.Equal(t, tt.binary, binary)
			got, err := DecodeFrame(tt.rev, tt.wire, tt.binary)
			require.NoError(t, err)
			require.Equal(t, normalize([]Packet{tt.pkt}), normalize([]Packet{got}))
		})
	}
}

// SPEC4 "Handshake": the open packet of a polling session.
func TestSpecHandshake(t *testing.T) {
	frame := []byte(`0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
	p, err := DecodeFrame(V4, frame, false)
	require.NoError(t, err)
	require.Equal(t, Open, p.Type)
	h, err := ParseHandshake(p.Data)
	require.NoError(t, err)
	require.Equal(t, Handshake{
		SID:          "lv_VI97HAXpY6yYWAAAC",
		Upgrades:     []string{"websocket"},
		PingInterval: 25 * time.Second,
		PingTimeout:  20 * time.Second,
		MaxPayload:   1000000,
	}, h)
}
