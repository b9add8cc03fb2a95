package fsm

import (
	"math/rand/v2"
	"testing"

	"github.com/eio-go/eio/codec"
)

// maxFuzzSteps bounds the inputs of one fuzzed session, as TestRandomSessions
// bounds its own: the simulator renders its whole trace at every step.
const maxFuzzSteps = 200

// byteSource is a rand.Source that reads the fuzzer's bytes, one byte per
// choice, so that the fuzzer steers every choice of the simulator: the
// revision, the transports, and each input among those a runtime could
// deliver next. Once the bytes are used up it reports exhausted and goes
// on with a fixed sequence, so a choice in progress still completes.
type byteSource struct {
	data []byte
	pos  int
	n    uint64 // values produced after exhaustion
}

// Uint64 spreads one byte b over the whole range: the high bits make
// rand.Rand.IntN(n) choose about b*n/256 (no rejection loop for n < 512),
// the low bits serve IntN with a power of two n, which masks them.
func (s *byteSource) Uint64() uint64 {
	var b uint64
	if s.pos < len(s.data) {
		b = uint64(s.data[s.pos])
		s.pos++
	} else {
		s.n++
		b = s.n * 37 % 256
	}
	return b<<56 | 1<<55 | b
}

func (s *byteSource) exhausted() bool { return s.pos >= len(s.data) }

// FuzzMachine decodes the fuzzer's bytes into a session: a Connect, then
// one input per byte among those the simulator of TestRandomSessions
// offers (transport reports, poll results with server packets, current
// and stale timer fires, sends, disconnects), and checks the same
// invariants: no panic, transitions account for the state, at most one
// write and one poll outstanding per transport, every message accepted by
// Send written exactly once or reported in SendFailed exactly once, in
// send order, and nothing lost by a clean close.
func FuzzMachine(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("polling then websocket"))
	f.Add([]byte{0xff, 0x00, 0x80, 0x40, 0xc0, 0x20, 0xa0, 0x60, 0xe0, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &byteSource{data: data}
		s := newSim(t, rand.New(src))
		s.start()
		for step := 0; step < maxFuzzSteps && s.finished == nil && !src.exhausted(); step++ {
			s.feed(s.next())
		}
		s.check()
	})
}

// TestCloseAfterUpgradePacketHoldsPolling is FuzzMachine's first find: a
// graceful close that began after the upgrade packet was written let a
// control packet queued meanwhile (a v4 pong, a v3 ping) go out on
// polling, which must stay quiet until the switch, and the promotion then
// dropped that write in flight. The packet now waits for the switch.
func TestCloseAfterUpgradePacketHoldsPolling(t *testing.T) {
	d := upgradePacketSent(t)
	d.step(Disconnect{})
	d.expect("upgrading -close-> closing", "timer close 5s")
	d.step(Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Ping, "")}})
	d.expect("timer heartbeat 45s", "pinged")
	d.step(Wrote{Role: Probe})
	d.expect("promote", "upgraded websocket", "write active [3]")
	d.step(Wrote{Role: Active})
	d.expect("write active [1]")
	d.step(Wrote{Role: Active})
	d.has(`finished "client disconnect" connected=true`)
}
