package fsm

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
)

// sim plays the transports, the timers and the application around a
// machine, choosing at random among the inputs a real runtime could
// deliver next.
type sim struct {
	t   *testing.T
	rng *rand.Rand
	m   *Machine
	rev codec.Revision

	opening  [2]bool // OpenTransport seen, Opened not yet sent
	ready    [2]bool
	polled   [2]bool
	writing  [2]bool
	polling  [2]bool
	probeAsk bool // "2probe" written on the probe
	timers   map[Timer]uint64

	seq        int
	sent       []string
	closeAt    int // len(sent) when the client asked for a graceful close
	written    []string
	tooLarge   map[string]bool
	failed     []string
	finished   *Finished
	lastEvent  Event
	state      State
	handshaken bool
	log        []string
}

func newSim(t *testing.T, rng *rand.Rand) *sim {
	return &sim{t: t, rng: rng, m: New(), timers: map[Timer]uint64{}, tooLarge: map[string]bool{}, state: Disconnected, closeAt: -1}
}

func (s *sim) feed(in Input) {
	s.log = append(s.log, fmt.Sprintf("%T%+v", in, in))
	effects := s.m.Step(in)
	for _, e := range effects {
		s.log = append(s.log, "  "+renderEffect(e))
		s.apply(e)
	}
	require.Equal(s.t, s.state, s.m.State(), "transitions must account for the state\n%s", s.trace())
}

// trace renders the session's log for a failure message. It is lazy:
// every assertion passes it, and it is formatted only when one fails.
func (s *sim) trace() fmt.Stringer { return simTrace{s} }

type simTrace struct{ s *sim }

func (t simTrace) String() string { return strings.Join(t.s.log, "\n") }

func (s *sim) apply(e Effect) {
	t := s.t
	require.Nil(t, s.finished, "effect %s after Finished\n%s", renderEffect(e), s.trace())
	switch e := e.(type) {
	case Transitioned:
		require.Equal(t, s.state, e.From, s.trace())
		s.state, s.lastEvent = e.To, e.Event
	case OpenTransport:
		require.False(t, s.opening[e.Role] || s.ready[e.Role], "role %v opened twice\n%s", e.Role, s.trace())
		s.opening[e.Role] = true
		s.polled[e.Role] = e.Name == "polling"
	case CloseTransport:
		s.clear(e.Role)
	case Write:
		require.True(t, s.ready[e.Role], "write on a transport that is not open\n%s", s.trace())
		require.False(t, s.writing[e.Role], "two writes outstanding\n%s", s.trace())
		s.writing[e.Role] = true
		for _, p := range e.Packets {
			if e.Role == Probe {
				require.True(t, p.Type == codec.Upgrade || p.IsProbe(), "only 2probe and 5 travel on a probe\n%s", s.trace())
				if p.Type == codec.Ping {
					s.probeAsk = true
				}
			}
			if p.Type == codec.Ping && s.rev == codec.V4 {
				require.True(t, p.IsProbe(), "a v4 client never sends a bare ping\n%s", s.trace())
			}
			if p.Type == codec.Message {
				s.written = append(s.written, string(p.Data))
			}
		}
	case Poll:
		require.True(t, s.polled[e.Role] && s.ready[e.Role], s.trace())
		require.False(t, s.polling[e.Role], "two polls outstanding\n%s", s.trace())
		s.polling[e.Role] = true
	case Promote:
		require.False(t, s.writing[Active] || s.polling[Active], "promote while polling is busy\n%s", s.trace())
		s.opening[Active], s.ready[Active], s.polled[Active] = s.opening[Probe], s.ready[Probe], s.polled[Probe]
		s.writing[Active], s.polling[Active] = s.writing[Probe], s.polling[Probe]
		s.clear(Probe)
	case SetTimer:
		s.timers[e.Timer] = e.Gen
	case StopTimer:
		delete(s.timers, e.Timer)
	case Connected:
		s.handshaken = true
	case SendFailed:
		for _, p := range e.Packets {
			if p.Type == codec.Message {
				s.failed = append(s.failed, string(p.Data))
				if errors.Is(e.Err, codec.ErrTooLarge) {
					s.tooLarge[string(p.Data)] = true
				}
			}
		}
	case Finished:
		f := e
		s.finished = &f
	}
}

func (s *sim) clear(r Role) {
	s.opening[r], s.ready[r], s.polled[r], s.writing[r], s.polling[r] = false, false, false, false, false
	if r == Probe {
		s.probeAsk = false
	}
}

// randomPacket returns a packet a server might send, mostly plausible.
func (s *sim) randomPacket() codec.Packet {
	switch n := s.rng.IntN(20); {
	case n < 6:
		return codec.TextMessage("srv" + strconv.Itoa(s.rng.IntN(100)))
	case n < 8:
		return codec.BinaryMessage([]byte{byte(n)})
	case n < 12:
		if s.rev == codec.V3 {
			return codec.Packet{Type: codec.Pong}
		}
		return codec.Packet{Type: codec.Ping}
	case n < 14:
		return codec.Packet{Type: codec.Noop}
	case n == 14:
		return codec.Packet{Type: codec.Close}
	case n == 15:
		return codec.Packet{Type: codec.Upgrade}
	case n == 16:
		return openPkt(hsJSON)
	default:
		return codec.Packet{Type: codec.PacketType(s.rng.IntN(7)), Data: []byte("x")}
	}
}

func (s *sim) handshakePacket() codec.Packet {
	switch s.rng.IntN(12) {
	case 0:
		return codec.TextMessage("no open")
	case 1:
		return openPkt(`{"sid":1}`)
	default:
		return openPkt(`{"sid":"s","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":` +
			strconv.Itoa(8+s.rng.IntN(40)) + `}`)
	}
}

// next picks one input that a runtime could deliver now.
func (s *sim) next() Input {
	var choices []func() Input
	for r := Active; r <= Probe; r++ {
		r := r
		if s.opening[r] && !s.ready[r] {
			choices = append(choices, func() Input { s.opening[r], s.ready[r] = false, true; return Opened{Role: r} })
		}
		if s.writing[r] {
			choices = append(choices, func() Input { s.writing[r] = false; return Wrote{Role: r} })
		}
		if s.ready[r] || s.opening[r] {
			choices = append(choices, func() Input {
				switch s.rng.IntN(3) {
				case 0:
					return Failed{Role: r, Err: fmt.Errorf("broken %v", r)}
				case 1:
					return Closed{Role: r}
				}
				return Malformed{Role: r, Err: fmt.Errorf("junk on %v", r)}
			})
		}
	}
	canRead := func(r Role) bool { return s.ready[r] && (!s.polled[r] || s.polling[r]) }
	if canRead(Active) {
		add := func() Input {
			// A polled response may come in parts: the poll goes on.
			more := s.polled[Active] && s.rng.IntN(3) == 0
			if !more {
				s.polling[Active] = false
			}
			var pkts []codec.Packet
			if s.state == Handshaking {
				pkts = append(pkts, s.handshakePacket())
			}
			for range s.rng.IntN(3) {
				pkts = append(pkts, s.randomPacket())
			}
			return Received{Role: Active, Packets: pkts, More: more}
		}
		choices = append(choices, add, add, add)
	}
	if canRead(Probe) {
		choices = append(choices, func() Input {
			if s.probeAsk && s.rng.IntN(4) > 0 {
				return Received{Role: Probe, Packets: []codec.Packet{{Type: codec.Pong, Data: []byte("probe")}}}
			}
			return Received{Role: Probe, Packets: []codec.Packet{s.randomPacket()}}
		})
	}
	for tm := Timer(0); tm < numTimers; tm++ {
		gen, ok := s.timers[tm]
		if !ok {
			continue
		}
		choices = append(choices, func() Input {
			delete(s.timers, tm)
			return TimerFired{Timer: tm, Gen: gen}
		})
	}
	choices = append(choices, func() Input { return TimerFired{Timer: Timer(s.rng.IntN(int(numTimers))), Gen: 999} })
	send := func() Input {
		var pkts []codec.Packet
		for range 1 + s.rng.IntN(3) {
			s.seq++
			id := "m" + strconv.Itoa(s.seq) + strings.Repeat("y", s.rng.IntN(12))
			s.sent = append(s.sent, id)
			pkts = append(pkts, codec.TextMessage(id))
		}
		return Send{Packets: pkts}
	}
	choices = append(choices, send, send, send)
	choices = append(choices, func() Input {
		abort := s.rng.IntN(3) == 0
		if !abort && s.closeAt < 0 {
			s.closeAt = len(s.sent)
		}
		return Disconnect{Abort: abort}
	})
	return choices[s.rng.IntN(len(choices))]()
}

// TestRandomSessions drives 10,000 machines with random but plausible
// input sequences: every transport report a runtime could make (opens,
// writes done, poll results with random server packets, failures, garbage),
// timer fires (current and stale), sends and disconnects. Invariants:
//
//   - no input panics, and the Transitioned effects account for every
//     state change;
//   - at most one write and one poll are outstanding per transport, and a
//     probe carries only "2probe" and "5";
//   - a v4 client never writes a bare ping;
//   - once Finished is emitted the machine is Disconnected and emits
//     nothing more; a session not finished by the script finishes on
//     Disconnect{Abort: true};
//   - every message accepted by Send is written exactly once or reported
//     exactly once in SendFailed, and written messages keep send order;
//   - after a graceful close that ended as "client disconnect" by the
//     close handshake, every message sent before Disconnect was written,
//     but for those refused as larger than maxPayload.
func TestRandomSessions(t *testing.T) {
	for seed := range uint64(*seeds) {
		randomSessions(t, seed+4)
	}
}

var seeds = flag.Int("seeds", 1, "number of seeds TestRandomSessions runs, 10,000 sessions each")

func randomSessions(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	for range 10000 {
		s := newSim(t, rng)
		s.start()
		for step := 0; step < 80 && s.finished == nil; step++ {
			s.feed(s.next())
		}
		s.check()
	}
}

// start connects the machine with a random revision and transport list.
func (s *sim) start() {
	s.rev = codec.V4
	if s.rng.IntN(3) == 0 {
		s.rev = codec.V3
	}
	trs := [][]TransportInfo{{polling, websocket}, {polling}, {websocket}}[s.rng.IntN(3)]
	s.feed(Connect{Revision: s.rev, Transports: trs})
}

// check ends a session the script left running with Disconnect{Abort:
// true}, then checks the invariants TestRandomSessions lists.
func (s *sim) check() {
	t := s.t
	if s.finished == nil {
		s.feed(Disconnect{Abort: true})
	}
	require.NotNil(t, s.finished, "session did not finish\n%s", s.trace())
	require.Equal(t, Disconnected, s.m.State())
	require.Empty(t, s.m.Step(TimerFired{Timer: TimerHeartbeat, Gen: 1}), "a finished machine ignores inputs")

	seen := map[string]bool{}
	last := 0
	for _, w := range s.written {
		require.False(t, seen[w], "message %s written twice\n%s", w, s.trace())
		seen[w] = true
		n, _ := strconv.Atoi(strings.TrimRight(w[1:], "y"))
		require.Greater(t, n, last, "message %s written out of order\n%s", w, s.trace())
		last = n
	}
	for _, f := range s.failed {
		require.False(t, seen[f], "message %s both written and failed\n%s", f, s.trace())
		seen[f] = true
	}
	require.Len(t, seen, len(s.sent), "every message is written or failed\n%s", s.trace())
	if s.closeAt >= 0 && s.lastEvent == EvClosed {
		for _, id := range s.sent[:s.closeAt] {
			if s.tooLarge[id] {
				continue
			}
			require.Contains(t, s.written, id, "clean close lost a message\n%s", s.trace())
		}
	}
}
