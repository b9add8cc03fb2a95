package fsm

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
)

// machineIn returns a machine in state s, reached by a real session script:
// handshaking and open on a WebSocket (so no polls are outstanding),
// upgrading with a polling session whose probe is open and probed, closing
// with the close packet outstanding on polling.
func machineIn(t *testing.T, s State) *Machine {
	d := newDriver(t)
	switch s {
	case Disconnected:
	case Handshaking:
		d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{websocket}})
		d.step(Opened{Role: Active})
	case Open:
		d = openSession(t, websocket)
	case Upgrading:
		d = openSession(t, polling, websocket)
		d.step(Opened{Role: Probe})
		d.step(Wrote{Role: Probe})
	case Closing:
		d = openSession(t, polling)
		d.step(Disconnect{})
	}
	require.Equal(t, s, d.m.State())
	return d.m
}

// pairs lists every (state, input kind) pair with the state it leads to and
// an effect it must produce ("" when it must produce none).
var pairs = []struct {
	state  State
	input  string
	to     State
	effect string
}{
	{Disconnected, "connect", Handshaking, "open active"},
	{Disconnected, "opened", Disconnected, ""},
	{Disconnected, "message", Disconnected, ""},
	{Disconnected, "ping", Disconnected, ""},
	{Disconnected, "close packet", Disconnected, ""},
	{Disconnected, "noop", Disconnected, ""},
	{Disconnected, "probe answer", Disconnected, ""},
	{Disconnected, "wrote", Disconnected, ""},
	{Disconnected, "failed", Disconnected, ""},
	{Disconnected, "probe failed", Disconnected, ""},
	{Disconnected, "malformed", Disconnected, ""},
	{Disconnected, "closed", Disconnected, ""},
	{Disconnected, "heartbeat fired", Disconnected, ""},
	{Disconnected, "send", Disconnected, "send failed"},
	{Disconnected, "disconnect", Disconnected, ""},
	{Disconnected, "abort", Disconnected, ""},

	{Handshaking, "connect", Handshaking, ""},
	{Handshaking, "opened", Handshaking, ""},
	{Handshaking, "message", Disconnected, "handshake_failed"},
	{Handshaking, "ping", Disconnected, "handshake_failed"},
	{Handshaking, "close packet", Disconnected, "handshake_failed"},
	{Handshaking, "noop", Disconnected, "handshake_failed"},
	{Handshaking, "probe answer", Handshaking, ""},
	{Handshaking, "wrote", Handshaking, ""},
	{Handshaking, "failed", Disconnected, "handshake_failed"},
	{Handshaking, "probe failed", Handshaking, ""},
	{Handshaking, "malformed", Disconnected, "handshake_failed"},
	{Handshaking, "closed", Disconnected, "handshake_failed"},
	{Handshaking, "heartbeat fired", Handshaking, ""},
	{Handshaking, "send", Handshaking, ""},
	{Handshaking, "disconnect", Disconnected, "handshaking -abort-> disconnected"},
	{Handshaking, "abort", Disconnected, "handshaking -abort-> disconnected"},

	{Open, "connect", Open, ""},
	{Open, "opened", Open, ""},
	{Open, "message", Open, "deliver 4m"},
	{Open, "ping", Open, "write active [3]"},
	{Open, "close packet", Disconnected, "open -server_close-> disconnected"},
	{Open, "noop", Open, ""},
	{Open, "probe answer", Open, ""},
	{Open, "wrote", Open, ""},
	{Open, "failed", Disconnected, "open -transport_error-> disconnected"},
	{Open, "probe failed", Open, ""},
	{Open, "malformed", Disconnected, "open -protocol_error-> disconnected"},
	{Open, "closed", Disconnected, "open -server_close-> disconnected"},
	{Open, "heartbeat fired", Disconnected, "open -ping_timeout-> disconnected"},
	{Open, "send", Open, "write active [4s]"},
	{Open, "disconnect", Closing, "write active [1]"},
	{Open, "abort", Disconnected, "open -abort-> disconnected"},

	{Upgrading, "connect", Upgrading, ""},
	{Upgrading, "opened", Upgrading, ""},
	{Upgrading, "message", Upgrading, "deliver 4m"},
	{Upgrading, "ping", Upgrading, "write active [3]"},
	{Upgrading, "close packet", Disconnected, "upgrading -server_close-> disconnected"},
	{Upgrading, "noop", Upgrading, ""},
	{Upgrading, "probe answer", Upgrading, "write probe [5]"},
	{Upgrading, "wrote", Upgrading, ""},
	{Upgrading, "failed", Disconnected, "upgrading -transport_error-> disconnected"},
	{Upgrading, "probe failed", Open, "upgrading -upgrade_failed-> open"},
	{Upgrading, "malformed", Disconnected, "upgrading -protocol_error-> disconnected"},
	{Upgrading, "closed", Disconnected, "upgrading -server_close-> disconnected"},
	{Upgrading, "heartbeat fired", Disconnected, "upgrading -ping_timeout-> disconnected"},
	{Upgrading, "send", Upgrading, "write active [4s]"},
	{Upgrading, "disconnect", Closing, "close probe"},
	{Upgrading, "abort", Disconnected, "upgrading -abort-> disconnected"},

	{Closing, "connect", Closing, ""},
	{Closing, "opened", Closing, ""},
	{Closing, "message", Closing, "deliver 4m"},
	{Closing, "ping", Closing, "pinged"},
	{Closing, "close packet", Disconnected, "closing -closed-> disconnected"},
	{Closing, "noop", Closing, ""},
	{Closing, "probe answer", Closing, ""},
	{Closing, "wrote", Disconnected, "closing -closed-> disconnected"},
	{Closing, "failed", Disconnected, "closing -closed-> disconnected"},
	{Closing, "probe failed", Closing, ""},
	{Closing, "malformed", Disconnected, "closing -protocol_error-> disconnected"},
	{Closing, "closed", Disconnected, "closing -closed-> disconnected"},
	{Closing, "heartbeat fired", Disconnected, "closing -ping_timeout-> disconnected"},
	{Closing, "send", Closing, "send failed"},
	{Closing, "disconnect", Closing, ""},
	{Closing, "abort", Disconnected, "closing -abort-> disconnected"},
}

func inputOf(m *Machine, kind string) Input {
	switch kind {
	case "connect":
		return Connect{Revision: codec.V4, Transports: []TransportInfo{websocket}}
	case "opened":
		return Opened{Role: Active}
	case "message":
		return Received{Role: Active, Packets: []codec.Packet{msg("m")}}
	case "ping":
		return Received{Role: Active, Packets: []codec.Packet{pkt(codec.Ping, "")}}
	case "close packet":
		return Received{Role: Active, Packets: []codec.Packet{pkt(codec.Close, "")}}
	case "noop":
		return Received{Role: Active, Packets: []codec.Packet{pkt(codec.Noop, "")}}
	case "probe answer":
		return Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Pong, "probe")}}
	case "wrote":
		return Wrote{Role: Active}
	case "failed":
		return Failed{Role: Active, Err: errors.New("reset")}
	case "probe failed":
		return Failed{Role: Probe, Err: errors.New("refused")}
	case "malformed":
		return Malformed{Role: Active, Err: errors.New("junk")}
	case "closed":
		return Closed{Role: Active}
	case "heartbeat fired":
		return TimerFired{Timer: TimerHeartbeat, Gen: m.gen[TimerHeartbeat]}
	case "send":
		return Send{Packets: []codec.Packet{msg("s")}}
	case "disconnect":
		return Disconnect{}
	case "abort":
		return Disconnect{Abort: true}
	}
	panic("unknown input kind " + kind)
}

// TestEveryStateInputPair covers every (state, input kind) pair: the state
// it leads to and an effect it must produce, or no effect at all.
func TestEveryStateInputPair(t *testing.T) {
	kinds := map[string]bool{}
	seen := map[string]bool{}
	for _, p := range pairs {
		kinds[p.input] = true
		seen[string(p.state)+"/"+p.input] = true
	}
	require.Len(t, seen, len(States())*len(kinds), "one row per pair, no duplicates")
	for _, p := range pairs {
		t.Run(string(p.state)+"/"+p.input, func(t *testing.T) {
			m := machineIn(t, p.state)
			out := render(m.Step(inputOf(m, p.input)))
			require.Equal(t, p.to, m.State(), "effects: %v", out)
			if p.effect == "" {
				require.Empty(t, out)
				return
			}
			found := false
			for _, e := range out {
				found = found || strings.Contains(e, p.effect)
			}
			require.True(t, found, "want an effect containing %q, got %v", p.effect, out)
		})
	}
}
