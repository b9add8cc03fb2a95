package fsm

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
)

var (
	polling   = TransportInfo{Name: "polling", Polled: true}
	websocket = TransportInfo{Name: "websocket"}
)

const hsJSON = `{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100}`

func openPkt(js string) codec.Packet { return codec.Packet{Type: codec.Open, Data: []byte(js)} }
func msg(s string) codec.Packet      { return codec.TextMessage(s) }
func pkt(t codec.PacketType, data string) codec.Packet {
	return codec.Packet{Type: t, Data: []byte(data)}
}

// driver feeds a machine and keeps the effects of the last step. Its
// methods read like the script of a session.
type driver struct {
	t   *testing.T
	m   *Machine
	out []Effect
}

func newDriver(t *testing.T) *driver { return &driver{t: t, m: New()} }

func (d *driver) step(in Input) []Effect {
	d.t.Helper()
	d.out = append([]Effect(nil), d.m.Step(in)...)
	return d.out
}

// expect checks the effects of the last step, rendered as text.
func (d *driver) expect(want ...string) {
	d.t.Helper()
	if want == nil {
		want = []string{}
	}
	require.Equal(d.t, want, render(d.out))
}

// has checks that the last step's effects include each of want.
func (d *driver) has(want ...string) {
	d.t.Helper()
	got := render(d.out)
	for _, w := range want {
		require.Contains(d.t, got, w)
	}
}

// timer returns the generation of the last SetTimer of t in the last step.
func (d *driver) timer(t Timer) uint64 {
	d.t.Helper()
	for _, e := range d.out {
		if s, ok := e.(SetTimer); ok && s.Timer == t {
			return s.Gen
		}
	}
	d.t.Fatalf("no SetTimer %v in %v", t, render(d.out))
	return 0
}

// render writes effects as short stable strings for assertions.
func render(effects []Effect) []string {
	out := make([]string, 0, len(effects))
	for _, e := range effects {
		out = append(out, renderEffect(e))
	}
	return out
}

func renderEffect(e Effect) string {
	switch e := e.(type) {
	case Transitioned:
		return fmt.Sprintf("%s -%s-> %s", e.From, e.Event, e.To)
	case OpenTransport:
		return fmt.Sprintf("open %s %s sid=%s", e.Role, e.Name, e.SID)
	case CloseTransport:
		return "close " + e.Role.String()
	case Write:
		parts := make([]string, len(e.Packets))
		for i, p := range e.Packets {
			parts[i] = wire(p)
		}
		return fmt.Sprintf("write %s [%s]", e.Role, strings.Join(parts, " "))
	case Poll:
		return "poll " + e.Role.String()
	case Promote:
		return "promote"
	case SetTimer:
		return fmt.Sprintf("timer %s %v", e.Timer, e.After)
	case StopTimer:
		return "stop " + e.Timer.String()
	case Connected:
		return "connected " + e.Handshake.SID + " " + e.Transport
	case Deliver:
		return "deliver " + wire(*e.Packet)
	case Pinged:
		return "pinged"
	case Upgraded:
		return "upgraded " + e.Transport
	case UpgradeFailed:
		return "upgrade failed " + e.Transport
	case SendFailed:
		return fmt.Sprintf("send failed %d", len(e.Packets))
	case Finished:
		return fmt.Sprintf("finished %q connected=%v", e.Reason, e.Connected)
	}
	return fmt.Sprintf("%T", e)
}

// wire renders a packet as on a text frame; binary data as hex.
func wire(p codec.Packet) string {
	if p.Binary {
		return fmt.Sprintf("bin:%x", p.Data)
	}
	return string('0'+byte(p.Type)) + string(p.Data)
}

// openSession drives a polling handshake with upgrades to websocket
// and returns the driver with the probe dialing.
func openSession(t *testing.T, transports ...TransportInfo) *driver {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V4, Transports: transports})
	d.step(Opened{Role: Active})
	if transports[0].Polled {
		d.expect("poll active")
	}
	d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(hsJSON)}})
	require.Equal(t, "abc", d.m.Handshake().SID)
	require.Equal(t, 100, d.m.Handshake().MaxPayload)
	require.Equal(t, 25*time.Second, d.m.Handshake().PingInterval)
	return d
}

// upgradePacketSent returns a v4 session over polling whose WebSocket
// probe was answered and which has asked to write the upgrade packet "5"
// on it, not yet reported written.
func upgradePacketSent(t *testing.T) *driver {
	d := openSession(t, polling, websocket)
	d.step(Opened{Role: Probe})
	d.step(Wrote{Role: Probe})
	d.step(Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Pong, "probe")}})
	d.has("write probe [5]")
	return d
}
