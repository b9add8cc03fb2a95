package fsm

import (
	"testing"

	"github.com/eio-go/eio/codec"
)

// openMachine returns a machine with an open WebSocket session, as the
// client's run loop has it after the handshake.
func openMachine(b *testing.B) *Machine {
	b.Helper()
	m := New()
	m.Step(Connect{Revision: codec.V4, Transports: []TransportInfo{websocket}})
	m.Step(Opened{Role: Active})
	m.Step(Received{Role: Active, Packets: []codec.Packet{openPkt(`{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)}})
	if m.State() != Open {
		b.Fatalf("machine in state %s, want open", m.State())
	}
	return m
}

// BenchmarkMachineReceive measures the machine handling one inbound
// message: a Received input with one packet, answered by one Deliver.
func BenchmarkMachineReceive(b *testing.B) {
	m := openMachine(b)
	pkts := []codec.Packet{codec.TextMessage("01234567890123456789012345678901")}
	b.ReportAllocs()
	for b.Loop() {
		out := m.Step(Received{Role: Active, Packets: pkts})
		if len(out) != 1 {
			b.Fatalf("effects %v, want one Deliver", out)
		}
	}
}

// BenchmarkMachineSend measures one outbound message on an idle
// transport: a Send input that becomes a Write, then the Wrote report
// that frees the transport again.
func BenchmarkMachineSend(b *testing.B) {
	m := openMachine(b)
	pkts := []codec.Packet{codec.TextMessage("01234567890123456789012345678901")}
	b.ReportAllocs()
	for b.Loop() {
		if out := m.Step(Send{Packets: pkts}); len(out) != 1 {
			b.Fatalf("effects %v, want one Write", out)
		}
		m.Step(Wrote{Role: Active})
	}
}

// BenchmarkMachineSendQueued measures outbound messages that queue behind
// an outstanding write, as under pipelined load: 64 Sends of one packet
// each, then one Wrote that flushes them as one Write. The time and
// allocations are per message.
func BenchmarkMachineSendQueued(b *testing.B) {
	const batch = 64
	m := openMachine(b)
	pkts := []codec.Packet{codec.TextMessage("01234567890123456789012345678901")}
	m.Step(Send{Packets: pkts}) // leaves a write outstanding
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.Step(Send{Packets: pkts})
		if i%batch == batch-1 {
			if out := m.Step(Wrote{Role: Active}); len(out) != 1 {
				b.Fatalf("effects %v, want one Write", out)
			}
		}
	}
}
