package codec

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// "😀" (U+1F600) is two UTF-16 code units, so "4😀" has length 3 although
// it is 5 bytes of UTF-8.
func TestV3PayloadAstral(t *testing.T) {
	want := []byte{'3', ':', '4', 0xF0, 0x9F, 0x98, 0x80}
	pkts := []Packet{TextMessage("😀")}
	enc := AppendPayload(nil, V3, pkts)
	require.Equal(t, want, enc)
	require.Equal(t, len(want), PayloadPacketLen(V3, pkts[0], true))

	got, err := DecodePayload(nil, V3, enc, false)
	require.NoError(t, err)
	require.Equal(t, pkts, got)
}

func TestV3PayloadUTF16Lengths(t *testing.T) {
	tests := []struct {
		data string
		wire string
	}{
		{"", "1:4"},
		{"hello", "6:4hello"},
		{"€", "2:4€"},
		{"😀", "3:4😀"},
		{"a😀b€", "6:4a😀b€"},
		{"😀😀", "5:4😀😀"},
		{strings.Repeat("é", 9), "10:4" + strings.Repeat("é", 9)},
		// A byte outside UTF-8 counts as one unit, like the U+FFFD a
		// JavaScript peer would decode it to.
		{"\xff", "2:4\xff"},
		{"a\xe2\x82", "4:4a\xe2\x82"},
		// The record separator is plain data in revision 3.
		{"a\x1eb", "4:4a\x1eb"},
	}
	for _, tt := range tests {
		t.Run(tt.wire, func(t *testing.T) {
			p := TextMessage(tt.data)
			enc := AppendPayload(nil, V3, []Packet{p})
			require.Equal(t, tt.wire, string(enc))
			require.Equal(t, len(tt.wire), PayloadPacketLen(V3, p, true))
			got, err := DecodePayload(nil, V3, enc, false)
			require.NoError(t, err)
			require.Equal(t, normalize([]Packet{p}), normalize(got))
		})
	}
}

func TestV3PayloadDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Packet
	}{
		{"leading zeros", "06:4hello", []Packet{TextMessage("hello")}},
		{"empty frames skipped", "0:6:4hello0:", []Packet{TextMessage("hello")}},
		{"empty message", "1:4", []Packet{{Type: Message}}},
		{"all types", "1:01:11:21:31:41:51:6", []Packet{{Type: Open}, {Type: Close}, {Type: Ping},
			{Type: Pong}, {Type: Message}, {Type: Upgrade}, {Type: Noop}}},
		{"probe", "6:3probe", []Packet{{Type: Pong, Data: []byte("probe")}}},
		{"data starting with b", "3:4bc", []Packet{TextMessage("bc")}},
		{"base64 of another type", "6:b2AQI=", []Packet{{Type: Ping, Data: []byte{1, 2}, Binary: true}}},
		{"empty base64", "2:b4", []Packet{BinaryMessage([]byte{})}},
		{"colon in data", "4:4a:b", []Packet{TextMessage("a:b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePayload(nil, V3, []byte(tt.body), false)
			require.NoError(t, err)
			require.Equal(t, normalize(tt.want), normalize(got))
		})
	}
}

func TestV3PayloadErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		kind error
		off  int
	}{
		{"empty", "", ErrFraming, 0},
		{"no length", ":4", ErrFraming, 0},
		{"letter in length", "a:4", ErrFraming, 0},
		{"minus", "-1:4", ErrFraming, 0},
		{"no colon", "6", ErrFraming, 0},
		{"no colon after packet", "1:46", ErrFraming, 3},
		{"short", "6:4hell", ErrFraming, 2},
		{"second short", "6:4hello6:", ErrFraming, 10},
		{"huge length", "99999999999999999999999999:4", ErrFraming, 0},
		{"length beyond body", "100:4", ErrFraming, 0},
		{"half a surrogate pair", "2:4😀", ErrFraming, 2},
		{"unknown type", "1:9", ErrUnknownType, 2},
		{"type not a digit", "1:x", ErrUnknownType, 2},
		{"base64 without type", "1:b", ErrFraming, 3},
		{"base64 bad type", "2:b9", ErrUnknownType, 3},
		{"bad base64", "4:b4!!", ErrFraming, 4},
		{"base64 without padding", "4:b4AQ", ErrFraming, -1},
		{"error after a packet", "6:4hello1:7", ErrUnknownType, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePayload(nil, V3, []byte(tt.body), false)
			requireError(t, err, tt.kind, tt.off)
		})
	}
}

// A failing payload returns the packets decoded before the fault.
func TestDecodePayloadPartial(t *testing.T) {
	for _, tt := range []struct {
		rev  Revision
		body string
	}{
		{V4, "4a\x1e4b\x1e9"},
		{V3, "2:4a2:4b1:9"},
	} {
		got, err := DecodePayload([]Packet{{Type: Noop}}, tt.rev, []byte(tt.body), false)
		requireError(t, err, ErrUnknownType, len(tt.body)-1)
		require.Equal(t, []Packet{{Type: Noop}, TextMessage("a"), TextMessage("b")}, got)
	}
}

func TestPayloadPacketLen(t *testing.T) {
	bin := BinaryMessage([]byte{1, 2, 3, 4})
	tests := []struct {
		rev   Revision
		p     Packet
		first bool
		want  int
	}{
		{V4, TextMessage("hello"), true, 6},
		{V4, TextMessage("hello"), false, 7},
		{V4, TextMessage("€"), true, 4},
		{V4, bin, true, 9},   // "bAQIDBA=="
		{V4, bin, false, 10}, // with the separator
		{V4, BinaryMessage(nil), true, 1},
		{V4, BinaryMessage(make([]byte, 5)), true, 1 + 8},
		{V3, TextMessage("hello"), true, 8},  // "6:4hello"
		{V3, TextMessage("hello"), false, 8}, // no separator in v3
		{V3, TextMessage("€"), true, 6},      // "2:4€"
		{V3, TextMessage("😀"), true, 7},      // "3:4😀"
		{V3, bin, true, 13},                  // "10:b4AQIDBA=="
		{V3, Packet{Type: Ping}, true, 3},    // "1:2"
		{V3, TextMessage(strings.Repeat("x", 9)), true, 13},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, PayloadPacketLen(tt.rev, tt.p, tt.first), "%v %v first=%v", tt.rev, tt.p, tt.first)
	}
}

// utf16Len agrees with unicode/utf16 on arbitrary bytes, where Go's string
// to rune conversion turns each invalid byte into one U+FFFD, and
// advanceUnits walks back exactly the units utf16Len counted.
func TestUTF16Len(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	alphabet := []byte("ab\x1e\x7f\x80\xbf\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80\xff")
	for range 5000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = 'x'
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		n := utf16Len(b)
		require.Equal(t, len(utf16.Encode([]rune(string(b)))), n, "%q", b)
		end, ok := advanceUnits(b, 0, n)
		require.True(t, ok, "%q", b)
		require.Equal(t, len(b), end, "%q", b)
	}
}

// TestV3EmojiBytes pins the exact bytes of a v3 payload carrying "😀": the
// JavaScript reference counts the two UTF-16 code units of U+1F600 plus
// the type digit, so the prefix is "3:" although the packet is 5 bytes.
func TestV3EmojiBytes(t *testing.T) {
	want := []byte{'3', ':', '4', 0xF0, 0x9F, 0x98, 0x80}
	enc := AppendPayload(nil, V3, []Packet{TextMessage("😀")})
	require.Equal(t, want, enc)
	got, err := DecodePayload(nil, V3, want, false)
	require.NoError(t, err)
	require.Equal(t, "😀", string(got[0].Data))
}
