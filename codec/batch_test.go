package codec

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// splitAll cuts pkts into batches with Batch and checks each one: it
// encodes to at most maxPayload bytes, its size is what PayloadPacketLen
// predicts, and it is maximal (the next packet would not fit).
func splitAll(t *testing.T, rev Revision, pkts []Packet, maxPayload int) [][]Packet {
	t.Helper()
	var out [][]Packet
	for len(pkts) > 0 {
		n, err := Batch(rev, pkts, maxPayload)
		require.NoError(t, err)
		require.Positive(t, n)
		b := pkts[:n]
		enc := AppendPayload(nil, rev, b)
		require.LessOrEqual(t, len(enc), maxPayload, "batch %v", b)
		size := 0
		for i, p := range b {
			size += PayloadPacketLen(rev, p, i == 0)
		}
		require.Equal(t, len(enc), size)
		if n < len(pkts) {
			more := AppendPayload(nil, rev, pkts[:n+1])
			require.Greater(t, len(more), maxPayload, "batch of %d is not maximal", n)
		}
		out = append(out, b)
		pkts = pkts[n:]
	}
	return out
}

func msgs(parts ...string) []Packet {
	out := make([]Packet, len(parts))
	for i, s := range parts {
		out[i] = TextMessage(s)
	}
	return out
}

func TestBatchV4(t *testing.T) {
	r := strings.Repeat
	// "4"+99 bytes is exactly 100; b, c and d add 32+32+37 = 100
	// including their separators; "€"×33 is 99 bytes plus "4".
	pkts := msgs(r("a", 99), r("b", 30), r("c", 30), r("d", 35), r("€", 33), r("f", 99))
	got := splitAll(t, V4, pkts, 100)
	require.Equal(t, [][]Packet{pkts[0:1], pkts[1:4], pkts[4:5], pkts[5:6]}, got)
}

func TestBatchV3(t *testing.T) {
	r := strings.Repeat
	// Sizes count bytes; only the length prefixes count UTF-16 units.
	// "97:4"+96 a, "33:4"+32 € (96 bytes), "49:4"+24 😀 (96 bytes) are
	// 100 bytes each.
	pkts := msgs(r("a", 96), r("€", 32), r("😀", 24), r("b", 10), r("c", 10), r("d", 70))
	got := splitAll(t, V3, pkts, 100)
	require.Equal(t, [][]Packet{pkts[0:1], pkts[1:2], pkts[2:3], pkts[3:5], pkts[5:6]}, got)
}

func TestBatchBoundaries(t *testing.T) {
	bin := func(n int) Packet { return BinaryMessage(make([]byte, n)) }
	tests := []struct {
		name       string
		rev        Revision
		pkts       []Packet
		maxPayload int
		want       int
	}{
		{"no limit", V4, msgs("a", "b"), 0, 2},
		{"negative limit", V3, msgs("a", "b"), -1, 2},
		{"nothing", V4, nil, 10, 0},
		{"exact", V4, msgs("abc", "de"), 8, 2},     // "4abc\x1e4de"
		{"one over", V4, msgs("abc", "de"), 7, 1},  //
		{"v3 exact", V3, msgs("abc", "de"), 11, 2}, // "4:4abc3:4de"
		{"v3 one over", V3, msgs("abc", "de"), 10, 1},
		// Binary counts 1+4·ceil(n/3) in revision 4.
		{"binary 4 in 9", V4, []Packet{bin(4)}, 9, 1},
		{"binary 6 in 9", V4, []Packet{bin(6)}, 9, 1},
		{"binary then separator", V4, []Packet{bin(6), bin(0)}, 10, 1},
		{"binary then separator fits", V4, []Packet{bin(6), bin(0)}, 11, 2},
		// "10:b4AQIDBA==" in revision 3.
		{"v3 binary", V3, []Packet{bin(4)}, 13, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Batch(tt.rev, tt.pkts, tt.maxPayload)
			require.NoError(t, err)
			require.Equal(t, tt.want, n)
		})
	}
}

func TestBatchTooLarge(t *testing.T) {
	for _, tt := range []struct {
		name string
		rev  Revision
		p    Packet
		max  int
	}{
		{"v4 text", V4, TextMessage(strings.Repeat("x", 100)), 100},
		{"v4 binary", V4, BinaryMessage(make([]byte, 7)), 12},
		{"v3 text", V3, TextMessage(strings.Repeat("x", 97)), 100}, // "98:4"+97 x
		{"v3 euro", V3, TextMessage("€"), 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Batch(tt.rev, []Packet{tt.p, TextMessage("small")}, tt.max)
			requireError(t, err, ErrTooLarge, 0)
			require.Zero(t, n)
			// Behind a packet that fits, the large one ends the batch.
			n, err = Batch(tt.rev, []Packet{{Type: Ping}, tt.p}, tt.max)
			require.NoError(t, err)
			require.Equal(t, 1, n)
		})
	}
}

func TestBatchRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rev := range []Revision{V4, V3} {
		for range 200 {
			pkts := randomPackets(rng, rev, rng.IntN(30), true)
			maxPayload := 600 + rng.IntN(400) // above the largest packet randomPackets makes
			flat := []Packet{}
			for _, b := range splitAll(t, rev, pkts, maxPayload) {
				flat = append(flat, b...)
			}
			require.Equal(t, pkts, flat)
		}
	}
}
