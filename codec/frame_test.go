package codec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameEncode(t *testing.T) {
	tests := []struct {
		name   string
		rev    Revision
		p      Packet
		want   string
		binary bool
	}{
		{"v4 pong", V4, Packet{Type: Pong}, "3", false},
		{"v4 text 0x1e", V4, TextMessage("a\x1eb"), "4a\x1eb", false},
		{"v4 empty binary", V4, BinaryMessage(nil), "", true},
		{"v3 upgrade", V3, Packet{Type: Upgrade}, "5", false},
		{"v3 empty binary", V3, BinaryMessage(nil), "\x04", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, binary := AppendFrame([]byte("prefix"), tt.rev, tt.p)
			require.Equal(t, "prefix"+tt.want, string(got))
			require.Equal(t, tt.binary, binary)
		})
	}
}

func TestFrameDecode(t *testing.T) {
	tests := []struct {
		name   string
		rev    Revision
		data   string
		binary bool
		want   Packet
	}{
		{"v4 text 0x1e", V4, "4a\x1eb", false, TextMessage("a\x1eb")},
		{"v4 empty message", V4, "4", false, Packet{Type: Message}},
		{"v4 empty binary frame", V4, "", true, BinaryMessage(nil)},
		// With b64=1 the server sends binary as base64 text frames.
		{"v4 base64", V4, "bAQIDBA==", false, BinaryMessage([]byte{1, 2, 3, 4})},
		{"v4 empty base64", V4, "b", false, BinaryMessage([]byte{})},
		{"v3 base64", V3, "b4AQIDBA==", false, BinaryMessage([]byte{1, 2, 3, 4})},
		{"v3 raw close", V3, "\x01", true, Packet{Type: Close, Binary: true}},
		{"v3 text b data", V3, "4bonjour", false, TextMessage("bonjour")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFrame(tt.rev, []byte(tt.data), tt.binary)
			require.NoError(t, err)
			require.Equal(t, normalize([]Packet{tt.want}), normalize([]Packet{got}))
		})
	}
}

func TestFrameErrors(t *testing.T) {
	tests := []struct {
		name   string
		rev    Revision
		data   string
		binary bool
		kind   error
		off    int
	}{
		{"v4 empty text", V4, "", false, ErrFraming, 0},
		{"v4 type 7", V4, "7", false, ErrUnknownType, 0},
		{"v4 letter", V4, "x", false, ErrUnknownType, 0},
		{"v4 bad base64", V4, "b!!!!", false, ErrFraming, 1},
		{"v3 empty text", V3, "", false, ErrFraming, 0},
		{"v3 empty binary", V3, "", true, ErrFraming, 0},
		{"v3 binary type 7", V3, "\x07abc", true, ErrUnknownType, 0},
		{"v3 ascii type in binary", V3, "4abc", true, ErrUnknownType, 0},
		{"v3 base64 without type", V3, "b", false, ErrFraming, 1},
		{"v3 base64 bad type", V3, "bx", false, ErrUnknownType, 1},
		{"v3 bad base64", V3, "b4A", false, ErrFraming, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeFrame(tt.rev, []byte(tt.data), tt.binary)
			requireError(t, err, tt.kind, tt.off)
		})
	}
}

func TestV4PayloadErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		kind error
		off  int
	}{
		{"empty", "", ErrFraming, 0},
		{"empty packet first", "\x1e4a", ErrFraming, 0},
		{"empty packet between", "4a\x1e\x1e4b", ErrFraming, 3},
		{"trailing separator", "4a\x1e", ErrFraming, 3},
		{"unknown type", "4a\x1e8", ErrUnknownType, 3},
		{"bad base64", "4a\x1ebAQ=!", ErrFraming, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePayload(nil, V4, []byte(tt.body), false)
			requireError(t, err, tt.kind, tt.off)
		})
	}
}

func TestCheckPacket(t *testing.T) {
	tests := []struct {
		name    string
		rev     Revision
		p       Packet
		polling bool
		kind    error // nil: accepted
		off     int
	}{
		{"text", V4, TextMessage("héllo"), true, nil, 0},
		{"bad type", V4, Packet{Type: 7}, false, ErrUnknownType, 0},
		{"bad type v3", V3, Packet{Type: 200, Binary: true}, false, ErrUnknownType, 0},
		{"v4 binary message", V4, BinaryMessage([]byte{0x1e}), true, nil, 0},
		{"v4 binary ping", V4, Packet{Type: Ping, Data: []byte{1}, Binary: true}, false, ErrFraming, 0},
		{"v3 binary ping", V3, Packet{Type: Ping, Data: []byte{1}, Binary: true}, true, nil, 0},
		{"invalid utf-8", V3, TextMessage("ab\xffc"), false, ErrFraming, 3},
		{"v4 polling 0x1e", V4, TextMessage("ab\x1e"), true, ErrFraming, 3},
		{"v4 websocket 0x1e", V4, TextMessage("ab\x1e"), false, nil, 0},
		{"v3 polling 0x1e", V3, TextMessage("ab\x1e"), true, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPacket(tt.rev, tt.p, tt.polling)
			if tt.kind == nil {
				require.NoError(t, err)
				return
			}
			requireError(t, err, tt.kind, tt.off)
		})
	}
}

func TestStrings(t *testing.T) {
	require.Equal(t, "message", Message.String())
	require.Equal(t, "PacketType(9)", PacketType(9).String())
	require.Equal(t, "3", V3.String())
	require.True(t, V4.Valid())
	require.False(t, Revision(5).Valid())
	require.Equal(t, `message "hi"`, TextMessage("hi").String())
	require.Equal(t, "message <2 bytes>", BinaryMessage([]byte{1, 2}).String())
	require.Equal(t, "ping", Packet{Type: Ping}.String())
	require.True(t, ProbePing.IsProbe())
	err := &Error{Kind: ErrFraming, Offset: 3, Msg: "oops"}
	require.Equal(t, "codec: bad payload framing at offset 3: oops", err.Error())
}
