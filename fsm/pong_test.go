package fsm_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
)

// TestPongsWhileWriting: pings that arrive while a write is outstanding
// (many in one polling payload, or a WebSocket whose writes are stalled)
// must not each queue a pong: one unwritten pong answers them all. A pong
// per ping, each inserted at the front of the write buffer, made the
// buffer unbounded and the work quadratic (40,000 pings in one payload
// took seconds; the 2 MB a poll may carry holds a million).
func TestPongsWhileWriting(t *testing.T) {
	m := fsm.New()
	m.Step(fsm.Connect{Revision: codec.V4, Transports: []fsm.TransportInfo{{Name: "websocket"}}})
	m.Step(fsm.Opened{Role: fsm.Active})
	m.Step(fsm.Received{Role: fsm.Active, Packets: []codec.Packet{{Type: codec.Open,
		Data: []byte(`{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)}}})
	require.Equal(t, fsm.Open, m.State())
	m.Step(fsm.Received{Role: fsm.Active, Packets: []codec.Packet{{Type: codec.Ping}}}) // its pong's write stays outstanding

	pings := make([]codec.Packet, 100_000)
	for i := range pings {
		pings[i] = codec.Packet{Type: codec.Ping, Data: []byte{byte('a' + i%26)}}
	}
	start := time.Now()
	m.Step(fsm.Received{Role: fsm.Active, Packets: pings})
	require.Less(t, time.Since(start), time.Second, "handling the pings")
	require.Equal(t, 1, m.Buffered(), "one pong waits for the write")

	var wrote []codec.Packet
	for _, e := range m.Step(fsm.Wrote{Role: fsm.Active}) {
		if w, ok := e.(fsm.Write); ok {
			wrote = append(wrote, w.Packets...)
		}
	}
	require.Equal(t, []codec.Packet{{Type: codec.Pong, Data: []byte{byte('a' + (len(pings)-1)%26)}}}, wrote,
		"the pong answers the latest ping")
}
