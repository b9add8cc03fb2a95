package codec

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// hotPath is one encode or decode operation of the benchmarks, with the
// most allocations it may make per call.
type hotPath struct {
	name      string
	maxAllocs float64
	wireLen   int
	run       func() error
}

// hotPaths returns the operations the benchmarks time and
// TestAllocations bounds, for revision rev: encoding into a reused buffer
// and decoding into a reused packet slice.
func hotPaths(rev Revision) []hotPath {
	text32 := TextMessage(strings.Repeat("ab", 16)) // 32 bytes of data
	text1k := TextMessage(strings.Repeat("0123456789abcdef", 64))
	bin1k := BinaryMessage(bytes.Repeat([]byte{0, 1, 0xfe, 0xff}, 256))
	payload50 := make([]Packet, 50)
	for i := range payload50 {
		payload50[i] = text32
	}

	buf := make([]byte, 0, 64<<10)
	dst := make([]Packet, 0, 64)
	frame := func(p Packet) ([]byte, bool) { return AppendFrame(nil, rev, p) }
	encFrame := func(p Packet) func() error {
		return func() error { buf, _ = AppendFrame(buf[:0], rev, p); return nil }
	}
	decFrame := func(wire []byte, binary bool) func() error {
		return func() error { _, err := DecodeFrame(rev, wire, binary); return err }
	}
	encPayload := func(pkts []Packet) func() error {
		return func() error { buf = AppendPayload(buf[:0], rev, pkts); return nil }
	}
	decPayload := func(wire []byte, binary bool) func() error {
		return func() error {
			var err error
			dst, err = DecodePayload(dst[:0], rev, wire, binary)
			return err
		}
	}

	t32, _ := frame(text32)
	t1k, _ := frame(text1k)
	b1k, _ := frame(bin1k)
	b1kPoll := AppendPayload(nil, rev, []Packet{bin1k})
	p50 := AppendPayload(nil, rev, payload50)
	paths := []hotPath{
		{"encode/text32", 0, len(t32), encFrame(text32)},
		{"encode/text1k", 0, len(t1k), encFrame(text1k)},
		{"encode/binary1k-ws", 0, len(b1k), encFrame(bin1k)},
		{"encode/binary1k-polling", 0, len(b1kPoll), encPayload([]Packet{bin1k})},
		{"encode/payload50", 0, len(p50), encPayload(payload50)},
		{"decode/text32", 0, len(t32), decFrame(t32, false)},
		{"decode/text1k", 0, len(t1k), decFrame(t1k, false)},
		{"decode/binary1k-ws", 0, len(b1k), decFrame(b1k, true)},
		{"decode/binary1k-polling", 1, len(b1kPoll), decPayload(b1kPoll, false)},
		{"decode/payload50", 0, len(p50), decPayload(p50, false)},
	}
	if rev == V3 {
		b1kOctet := AppendBinaryPayload(nil, []Packet{bin1k})
		p50Octet := AppendBinaryPayload(nil, payload50)
		paths = append(paths,
			hotPath{"encode/binary1k-octet", 0, len(b1kOctet), func() error {
				buf = AppendBinaryPayload(buf[:0], []Packet{bin1k})
				return nil
			}},
			hotPath{"encode/payload50-octet", 0, len(p50Octet), func() error {
				buf = AppendBinaryPayload(buf[:0], payload50)
				return nil
			}},
			hotPath{"decode/binary1k-octet", 0, len(b1kOctet), decPayload(b1kOctet, true)},
			hotPath{"decode/payload50-octet", 0, len(p50Octet), decPayload(p50Octet, true)},
		)
	}
	return paths
}

// TestAllocations fails when an encoder allocates with a reused buffer or
// a decoder allocates more than the data of its base64 packets.
func TestAllocations(t *testing.T) {
	for _, rev := range []Revision{V4, V3} {
		for _, hp := range hotPaths(rev) {
			t.Run(fmt.Sprintf("v%d/%s", rev, hp.name), func(t *testing.T) {
				if err := hp.run(); err != nil {
					t.Fatal(err)
				}
				var err error
				got := testing.AllocsPerRun(100, func() {
					if e := hp.run(); e != nil {
						err = e
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if got > hp.maxAllocs {
					t.Fatalf("%v allocations per run, want at most %v", got, hp.maxAllocs)
				}
			})
		}
	}
}

func BenchmarkCodec(b *testing.B) {
	for _, rev := range []Revision{V4, V3} {
		for _, hp := range hotPaths(rev) {
			b.Run(fmt.Sprintf("v%d/%s", rev, hp.name), func(b *testing.B) {
				b.SetBytes(int64(hp.wireLen))
				b.ReportAllocs()
				for b.Loop() {
					if err := hp.run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
