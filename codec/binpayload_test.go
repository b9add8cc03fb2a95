package codec

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBinaryPayloadEncode(t *testing.T) {
	tests := []struct {
		name string
		pkts []Packet
		want []byte
	}{
		{"nothing", nil, nil},
		{"ping", []Packet{{Type: Ping}}, []byte{0, 1, 0xFF, '2'}},
		{"probe", []Packet{ProbePing}, []byte{0, 6, 0xFF, '2', 'p', 'r', 'o', 'b', 'e'}},
		{"ten bytes", []Packet{TextMessage("123456789")}, append([]byte{0, 1, 0, 0xFF, '4'}, "123456789"...)},
		{"euro counts bytes", []Packet{TextMessage("€")}, []byte{0, 4, 0xFF, '4', 0xE2, 0x82, 0xAC}},
		{"empty binary", []Packet{BinaryMessage(nil)}, []byte{1, 1, 0xFF, 4}},
		{"binary of another type", []Packet{{Type: Pong, Data: []byte{9}, Binary: true}}, []byte{1, 2, 0xFF, 3, 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := AppendBinaryPayload(nil, tt.pkts)
			require.Equal(t, tt.want, enc)
			got, err := DecodePayload(nil, V3, enc, true)
			require.NoError(t, err)
			require.Equal(t, normalize(tt.pkts), normalize(got))
		})
	}
}

func TestBinaryPayloadDecode(t *testing.T) {
	zeros := func(n int) []byte { return make([]byte, n) }
	tests := []struct {
		name string
		body []byte
		want []Packet
	}{
		// 310 digits is the most the reference parser accepts.
		{"310 digits", append(append([]byte{0}, zeros(309)...), 1, 0xFF, '4'), []Packet{{Type: Message}}},
		// A text packet in base64 form is decoded, as the reference
		// parser decodes any string packet.
		{"base64 inside", append([]byte{0, 6, 0xFF}, "b4AQ=="...), []Packet{BinaryMessage([]byte{1})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePayload(nil, V3, tt.body, true)
			require.NoError(t, err)
			require.Equal(t, normalize(tt.want), normalize(got))
		})
	}
}

func TestBinaryPayloadErrors(t *testing.T) {
	digits311 := append([]byte{0}, make([]byte, 311)...)
	digits311 = append(digits311, 0xFF, '4')
	tests := []struct {
		name string
		body []byte
		kind error
		off  int
	}{
		{"bad marker", []byte{2, 1, 0xFF, '4'}, ErrFraming, 0},
		{"marker only", []byte{0}, ErrFraming, 0},
		{"no terminator", []byte{0, 1, 2}, ErrFraming, 0},
		{"empty length", []byte{0, 0xFF, '4'}, ErrFraming, 1},
		{"ascii digit", []byte{0, '1', 0xFF, '4'}, ErrFraming, 1},
		{"empty packet", []byte{0, 0, 0xFF}, ErrFraming, 3},
		{"short", []byte{0, 5, 0xFF, '4', 'a'}, ErrFraming, 3},
		{"second short", []byte{0, 1, 0xFF, '4', 1, 3, 0xFF, 4}, ErrFraming, 7},
		{"huge length", []byte{0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xFF}, ErrFraming, 0},
		{"311 digits", digits311, ErrFraming, 311},
		{"unknown binary type", []byte{1, 1, 0xFF, 9}, ErrUnknownType, 3},
		{"ascii type in binary", []byte{1, 1, 0xFF, '4'}, ErrUnknownType, 3},
		{"unknown text type", []byte{0, 1, 0xFF, '9'}, ErrUnknownType, 3},
		{"raw type in text", []byte{0, 1, 0xFF, 4}, ErrUnknownType, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodePayload(nil, V3, tt.body, true)
			requireError(t, err, tt.kind, tt.off)
		})
	}
}

// Decoded packets alias the body with clipped capacity: appending to one
// never overwrites the next.
func TestDecodeAliasing(t *testing.T) {
	check := func(t *testing.T, body []byte, got []Packet) {
		t.Helper()
		before := bytes.Clone(body)
		for i := range got {
			got[i].Data = append(got[i].Data, "XXXX"...)
		}
		require.Equal(t, before, body)
	}
	t.Run("v4", func(t *testing.T) {
		body := []byte("4a\x1e4b")
		got, err := DecodePayload(nil, V4, body, false)
		require.NoError(t, err)
		check(t, body, got)
	})
	t.Run("v3 text", func(t *testing.T) {
		body := []byte("2:4a2:4b")
		got, err := DecodePayload(nil, V3, body, false)
		require.NoError(t, err)
		check(t, body, got)
	})
	t.Run("v3 binary", func(t *testing.T) {
		body := AppendBinaryPayload(nil, []Packet{BinaryMessage([]byte{1}), TextMessage("b")})
		got, err := DecodePayload(nil, V3, body, true)
		require.NoError(t, err)
		check(t, body, got)
	})
	t.Run("frames", func(t *testing.T) {
		buf := []byte("4abcdef")
		p, err := DecodeFrame(V4, buf[:2], false)
		require.NoError(t, err)
		p.Data = append(p.Data, 'X')
		require.Equal(t, "4abcdef", string(buf))
		p, err = DecodeFrame(V4, buf[:2], true)
		require.NoError(t, err)
		p.Data = append(p.Data, 'X')
		p, err = DecodeFrame(V3, []byte{4, 1, 2, 3}[:2], true)
		require.NoError(t, err)
		require.Equal(t, 1, cap(p.Data))
		require.Equal(t, "4abcdef", string(buf))
	})
}
