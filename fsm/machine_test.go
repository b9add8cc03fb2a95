package fsm

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
)

func TestHandshakePollingOnly(t *testing.T) {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{polling}})
	d.expect("disconnected -connect-> handshaking", "open active polling sid=")
	d.step(Opened{Role: Active})
	d.expect("poll active")
	d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(hsJSON), msg("early")}})
	d.expect(
		"handshaking -handshake_ok-> open",
		"connected abc polling",
		"timer heartbeat 45s",
		"deliver 4early",
		"poll active",
	)
	require.Equal(t, Open, d.m.State())
	require.Equal(t, "polling", d.m.Transport())
}

func TestHandshakeWebSocketOnly(t *testing.T) {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{websocket}})
	d.step(Opened{Role: Active})
	d.expect() // a WebSocket reads by itself
	d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(`{"sid":"w","upgrades":[],"pingInterval":100,"pingTimeout":50}`)}})
	d.expect("handshaking -handshake_ok-> open", "connected w websocket", "timer heartbeat 150ms")
}

func TestHandshakeFailures(t *testing.T) {
	for name, in := range map[string]Input{
		"not an open packet": Received{Role: Active, Packets: []codec.Packet{msg("hi")}},
		"bad JSON":           Received{Role: Active, Packets: []codec.Packet{openPkt(`{"sid":`)}},
		"no sid":             Received{Role: Active, Packets: []codec.Packet{openPkt(`{"pingInterval":1,"pingTimeout":1}`)}},
		"transport error":    Failed{Role: Active, Err: errors.New("refused")},
		"undecodable":        Malformed{Role: Active, Err: errors.New("bad bytes")},
	} {
		t.Run(name, func(t *testing.T) {
			d := newDriver(t)
			d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{polling}})
			d.step(Opened{Role: Active})
			d.step(in)
			d.has("close active", "handshaking -handshake_failed-> disconnected", `finished "" connected=false`)
			f := d.out[len(d.out)-1].(Finished)
			require.Error(t, f.Err)
			require.Equal(t, Disconnected, d.m.State())
		})
	}
}

func TestPingPong(t *testing.T) {
	d := openSession(t, websocket)
	d.step(Received{Role: Active, Packets: []codec.Packet{pkt(codec.Ping, "")}})
	d.expect("timer heartbeat 45s", "pinged", "write active [3]")
	// A message is not a heartbeat: it does not reset the timer.
	d.step(Wrote{Role: Active})
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("x")}})
	d.expect("deliver 4x")
}

func TestPingTimeoutV4(t *testing.T) {
	d := openSession(t, websocket)
	gen := d.timer(TimerHeartbeat)
	d.step(Received{Role: Active, Packets: []codec.Packet{pkt(codec.Ping, "")}})
	newGen := d.timer(TimerHeartbeat)
	d.step(TimerFired{Timer: TimerHeartbeat, Gen: gen})
	d.expect() // stale: the ping re-armed the timer
	d.step(TimerFired{Timer: TimerHeartbeat, Gen: newGen})
	d.has("open -ping_timeout-> disconnected", `finished "ping timeout" connected=true`)
	require.ErrorIs(t, d.out[len(d.out)-1].(Finished).Err, ErrPingTimeout)
}

func TestHeartbeatV3(t *testing.T) {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V3, Transports: []TransportInfo{websocket}})
	d.step(Opened{Role: Active})
	d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(`{"sid":"v3","upgrades":[],"pingInterval":1000,"pingTimeout":500}`)}})
	gen := d.timer(TimerHeartbeat)
	d.has("timer heartbeat 1s")
	d.step(TimerFired{Timer: TimerHeartbeat, Gen: gen})
	d.expect("timer pong 500ms", "write active [2]")
	pong := d.timer(TimerPong)
	d.step(Wrote{Role: Active})
	d.step(Received{Role: Active, Packets: []codec.Packet{pkt(codec.Pong, "")}})
	d.expect("stop pong", "timer heartbeat 1s", "pinged")
	gen = d.timer(TimerHeartbeat)
	d.step(TimerFired{Timer: TimerPong, Gen: pong})
	d.expect() // disarmed
	d.step(TimerFired{Timer: TimerHeartbeat, Gen: gen})
	pong = d.timer(TimerPong)
	d.step(TimerFired{Timer: TimerPong, Gen: pong})
	d.has(`finished "ping timeout" connected=true`)
}

func TestServerPingOnV3IsProtocolError(t *testing.T) {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V3, Transports: []TransportInfo{websocket}})
	d.step(Opened{Role: Active})
	d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(`{"sid":"v3","pingInterval":1000,"pingTimeout":500}`)}})
	d.step(Received{Role: Active, Packets: []codec.Packet{pkt(codec.Ping, "")}})
	d.has("open -protocol_error-> disconnected", `finished "protocol error" connected=true`)
	require.ErrorIs(t, d.out[len(d.out)-1].(Finished).Err, ErrProtocol)
}

// TestUpgrade walks the whole upgrade: probe, pause, upgrade packet,
// promote, then the flush of what was held, in order.
func TestUpgrade(t *testing.T) {
	d := openSession(t, polling, websocket)
	d.expect(
		"handshaking -handshake_ok-> open",
		"connected abc polling",
		"timer heartbeat 45s",
		"open -upgrade_probe-> upgrading",
		"open probe websocket sid=abc",
		"timer probe 10s",
		"timer probe_hold 1s",
	)
	// Sends during the probe still go over polling.
	d.step(Send{Packets: []codec.Packet{msg("a")}})
	d.expect("write active [4a]")
	d.step(Opened{Role: Probe})
	d.expect("write probe [2probe]")
	d.step(Wrote{Role: Probe})
	d.expect()
	d.step(Send{Packets: []codec.Packet{msg("b")}})
	d.expect() // one POST at a time
	d.step(Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Pong, "probe")}})
	d.expect("stop probe", "stop probe_hold") // the POST of "a" is still out
	d.step(Send{Packets: []codec.Packet{msg("c")}})
	d.expect() // held until the switch
	d.step(Wrote{Role: Active})
	d.expect("write probe [5]")
	d.step(Send{Packets: []codec.Packet{msg("d")}})
	d.expect()
	d.step(Wrote{Role: Probe})
	d.expect("promote", "upgrading -upgrade_ok-> open", "upgraded websocket", "write active [4b 4c 4d]")
	require.Equal(t, "websocket", d.m.Transport())
	d.step(Wrote{Role: Active})
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("over ws")}})
	d.expect("deliver 4over ws")
}

// TestUpgradeWaitsForPoll: a poll in flight when the probe is answered
// must complete (and be delivered) before the upgrade packet.
func TestUpgradeWaitsForPoll(t *testing.T) {
	d := openSession(t, polling, websocket)
	hold := d.timer(TimerProbeHold)
	d.step(TimerFired{Timer: TimerProbeHold, Gen: hold})
	d.expect("poll active")
	d.step(Opened{Role: Probe})
	d.step(Wrote{Role: Probe})
	d.step(Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Pong, "probe")}})
	d.expect("stop probe")
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("last poll"), pkt(codec.Noop, "")}})
	d.expect("deliver 4last poll", "write probe [5]")
}

// TestUpgradeWaitsForPollParts: a poll whose response comes in parts
// (Received with More) has not finished until its last part: no new poll
// and no "5" before it, and every part is delivered before the switch.
func TestUpgradeWaitsForPollParts(t *testing.T) {
	d := openSession(t, polling, websocket)
	hold := d.timer(TimerProbeHold)
	d.step(TimerFired{Timer: TimerProbeHold, Gen: hold})
	d.expect("poll active")
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("part 1")}, More: true})
	d.expect("deliver 4part 1")
	d.step(Opened{Role: Probe})
	d.step(Wrote{Role: Probe})
	d.step(Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Pong, "probe")}})
	d.expect("stop probe")
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("part 2")}, More: true})
	d.expect("deliver 4part 2")
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("part 3")}})
	d.expect("deliver 4part 3", "write probe [5]")
}

// TestPollPartsThenPoll: without an upgrade, the next poll follows the
// last part only; More from a transport that is not polled means nothing.
func TestPollPartsThenPoll(t *testing.T) {
	d := openSession(t, polling)
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("a")}, More: true})
	d.expect("deliver 4a")
	d.step(Received{Role: Active, Packets: []codec.Packet{msg("b")}})
	d.expect("deliver 4b", "poll active")

	ws := openSession(t, websocket)
	ws.step(Received{Role: Active, Packets: []codec.Packet{msg("c")}, More: true})
	ws.expect("deliver 4c")
}

// TestProbeAnsweredBeforeWriteReported: the answer to "2probe" may be
// reported before the write of "2probe" itself; "5" waits for both.
func TestProbeAnsweredBeforeWriteReported(t *testing.T) {
	d := openSession(t, polling, websocket)
	d.step(Opened{Role: Probe})
	d.step(Received{Role: Probe, Packets: []codec.Packet{pkt(codec.Pong, "probe")}})
	d.expect("stop probe", "stop probe_hold")
	d.step(Wrote{Role: Probe})
	d.expect("write probe [5]")
}

func TestUpgradeProbeFailures(t *testing.T) {
	for name, in := range map[string]Input{
		"dial error":    Failed{Role: Probe, Err: errors.New("refused")},
		"wrong answer":  Received{Role: Probe, Packets: []codec.Packet{msg("oops")}},
		"undecodable":   Malformed{Role: Probe, Err: errors.New("junk")},
		"probe timeout": TimerFired{Timer: TimerProbe, Gen: 1},
	} {
		t.Run(name, func(t *testing.T) {
			d := openSession(t, polling, websocket)
			d.step(Send{Packets: []codec.Packet{msg("a")}})
			d.step(Opened{Role: Probe})
			d.step(in)
			d.has("close probe", "upgrading -upgrade_failed-> open", "upgrade failed websocket", "poll active")
			require.Equal(t, Open, d.m.State())
			require.Equal(t, "polling", d.m.Transport())
			var uf UpgradeFailed
			for _, e := range d.out {
				if e, ok := e.(UpgradeFailed); ok {
					uf = e
				}
			}
			require.ErrorIs(t, uf.Err, ErrProbe)
			// Nothing is lost: the session goes on writing over polling.
			d.step(Wrote{Role: Active})
			d.step(Send{Packets: []codec.Packet{msg("b")}})
			d.expect("write active [4b]")
		})
	}
}

func TestCloseGracefulPolling(t *testing.T) {
	d := openSession(t, polling)
	d.step(Send{Packets: []codec.Packet{msg("a")}})
	d.step(Send{Packets: []codec.Packet{msg("b")}})
	d.step(Disconnect{})
	d.expect("open -close-> closing", "timer close 5s")
	d.step(Send{Packets: []codec.Packet{msg("late")}})
	d.expect("send failed 1")
	d.step(Wrote{Role: Active})
	d.expect("write active [4b]")
	d.step(Wrote{Role: Active})
	d.expect("write active [1]")
	d.step(Wrote{Role: Active})
	d.has("closing -closed-> disconnected", "close active", `finished "client disconnect" connected=true`)
}

func TestCloseDuringUpgrade(t *testing.T) {
	t.Run("before the switch", func(t *testing.T) {
		d := openSession(t, polling, websocket)
		d.step(Opened{Role: Probe})
		d.step(Disconnect{})
		d.has("upgrading -close-> closing", "close probe", "write active [1]")
		d.step(Wrote{Role: Active})
		d.has(`finished "client disconnect" connected=true`)
	})
	t.Run("after the upgrade packet", func(t *testing.T) {
		d := upgradePacketSent(t)
		d.step(Disconnect{})
		d.expect("upgrading -close-> closing", "timer close 5s")
		d.step(Wrote{Role: Probe})
		d.expect("promote", "upgraded websocket", "write active [1]")
		d.step(Wrote{Role: Active})
		d.has(`finished "client disconnect" connected=true`)
	})
}

func TestServerClose(t *testing.T) {
	d := openSession(t, websocket)
	d.step(Send{Packets: []codec.Packet{msg("a")}})
	d.step(Received{Role: Active, Packets: []codec.Packet{pkt(codec.Close, "")}})
	d.has("open -server_close-> disconnected", `finished "server disconnect" connected=true`)
}

// TestServerClosesWebSocket: a server that closes the WebSocket cleanly
// without a close packet (engine.io does so) ends the session as the
// server's close, not as a transport error.
func TestServerClosesWebSocket(t *testing.T) {
	d := openSession(t, websocket)
	d.step(Closed{Role: Active})
	d.has("open -server_close-> disconnected", `finished "server disconnect" connected=true`)
}

func TestTransportErrorWhileOpen(t *testing.T) {
	d := openSession(t, websocket)
	d.step(Failed{Role: Active, Err: errors.New("reset")})
	d.has("open -transport_error-> disconnected", `finished "transport error" connected=true`)
}

func TestAbort(t *testing.T) {
	d := openSession(t, polling, websocket)
	d.step(Disconnect{Abort: true})
	d.has("close probe", "close active", "upgrading -abort-> disconnected", `finished "client disconnect" connected=true`)
	d.step(Disconnect{Abort: true})
	d.expect()
}

func TestCloseWhileHandshaking(t *testing.T) {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{polling}})
	d.step(Disconnect{})
	d.has("close active", "handshaking -abort-> disconnected", `finished "client disconnect" connected=false`)
	require.ErrorIs(t, d.out[len(d.out)-1].(Finished).Err, ErrAborted)
}

func TestOversizedMessageIsRefused(t *testing.T) {
	d := openSession(t, polling)
	big := msg(string(make([]byte, 200)))
	d.step(Send{Packets: []codec.Packet{big, msg("ok")}})
	d.expect("send failed 1", "write active [4ok]")
	f := d.out[0].(SendFailed)
	require.ErrorIs(t, f.Err, codec.ErrTooLarge)
}

func TestBatchesFitMaxPayload(t *testing.T) {
	d := openSession(t, polling)
	var pkts []codec.Packet
	for range 5 {
		pkts = append(pkts, msg(string(make([]byte, 30))))
	}
	d.step(Send{Packets: pkts})
	w := d.out[0].(Write)
	require.Len(t, w.Packets, 3) // 31+32+32 = 95 ≤ 100
	d.step(Wrote{Role: Active})
	require.Len(t, d.out[0].(Write).Packets, 2)
}

// TestMaxPacketsPerPayload: a polling batch never carries more packets
// than the bound (python-engineio drops POSTs of more than 16).
func TestMaxPacketsPerPayload(t *testing.T) {
	d := newDriver(t)
	d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{polling}, MaxPacketsPerPayload: 2})
	d.step(Opened{Role: Active})
	d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(`{"sid":"s","upgrades":[],"pingInterval":1000,"pingTimeout":1000}`)}})
	d.step(Send{Packets: []codec.Packet{msg("a"), msg("b"), msg("c"), msg("d"), msg("e")}})
	d.expect("write active [4a 4b]")
	d.step(Wrote{Role: Active})
	d.expect("write active [4c 4d]")
	d.step(Wrote{Role: Active})
	d.expect("write active [4e]")
}

// TestMaxPacketsAuto: with no bound set, a server that advertises no
// maxPayload (python-engineio) gets at most 16 packets per POST; one that
// advertises maxPayload gets them all in one.
func TestMaxPacketsAuto(t *testing.T) {
	for name, tc := range map[string]struct {
		hs   string
		want int
	}{
		"no maxPayload":   {`{"sid":"s","upgrades":[],"pingInterval":1000,"pingTimeout":1000}`, AutoMaxPackets},
		"with maxPayload": {`{"sid":"s","upgrades":[],"pingInterval":1000,"pingTimeout":1000,"maxPayload":100000}`, 40},
	} {
		t.Run(name, func(t *testing.T) {
			d := newDriver(t)
			d.step(Connect{Revision: codec.V4, Transports: []TransportInfo{polling}})
			d.step(Opened{Role: Active})
			d.step(Received{Role: Active, Packets: []codec.Packet{openPkt(tc.hs)}})
			var pkts []codec.Packet
			for range 40 {
				pkts = append(pkts, msg("x"))
			}
			d.step(Send{Packets: pkts})
			require.Len(t, d.out[0].(Write).Packets, tc.want)
		})
	}
}
