package codec

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// runes random text is drawn from: ASCII including the characters the
// framings use, two- and three-byte runes and an astral one.
var textRunes = []rune("abcxyz019:b \x00\x7féß€中😀🎉")

// randomPackets returns n packets that rev carries intact: [CheckPacket]
// accepts each of them (for polling when polling is set).
func randomPackets(rng *rand.Rand, rev Revision, n int, polling bool) []Packet {
	pkts := make([]Packet, n)
	for i := range pkts {
		pkts[i] = randomPacket(rng, rev, polling)
	}
	return pkts
}

func randomPacket(rng *rand.Rand, rev Revision, polling bool) Packet {
	t := PacketType(rng.IntN(7))
	if rng.IntN(3) == 0 {
		data := make([]byte, rng.IntN(300))
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		if rev == V4 {
			t = Message
		}
		return Packet{Type: t, Data: data, Binary: true}
	}
	var data []rune
	for range rng.IntN(100) {
		data = append(data, textRunes[rng.IntN(len(textRunes))])
	}
	if (rev == V3 || !polling) && rng.IntN(4) == 0 {
		data = append(data, 0x1e)
	}
	return Packet{Type: t, Data: []byte(string(data))}
}

func TestRoundTripFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var buf []byte
	for _, rev := range []Revision{V4, V3} {
		for range 2000 {
			p := randomPacket(rng, rev, false)
			require.NoError(t, CheckPacket(rev, p, false))
			var binary bool
			buf, binary = AppendFrame(buf[:0], rev, p)
			got, err := DecodeFrame(rev, buf, binary)
			require.NoError(t, err)
			require.Equal(t, normalize([]Packet{p}), normalize([]Packet{got}))
		}
	}
}

func TestRoundTripPayloads(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var buf []byte
	var dst []Packet
	for _, rev := range []Revision{V4, V3} {
		for range 1000 {
			n := rng.IntN(20)
			if rev == V4 {
				n++ // revision 4 has no empty payload
			}
			pkts := randomPackets(rng, rev, n, true)
			for _, p := range pkts {
				require.NoError(t, CheckPacket(rev, p, true))
			}
			buf = AppendPayload(buf[:0], rev, pkts)
			size := 0
			for i, p := range pkts {
				size += PayloadPacketLen(rev, p, i == 0)
			}
			if n > 0 {
				require.Equal(t, len(buf), size)
			}
			var err error
			dst, err = DecodePayload(dst[:0], rev, buf, false)
			require.NoError(t, err)
			require.Equal(t, normalize(pkts), normalize(dst))
		}
	}
}

func TestRoundTripBinaryPayloads(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var buf []byte
	var dst []Packet
	for range 1000 {
		pkts := randomPackets(rng, V3, rng.IntN(20), true)
		buf = AppendBinaryPayload(buf[:0], pkts)
		var err error
		dst, err = DecodePayload(dst[:0], V3, buf, true)
		require.NoError(t, err)
		require.Equal(t, normalize(pkts), normalize(dst))
	}
}
