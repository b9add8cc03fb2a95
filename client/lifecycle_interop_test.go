package client_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
)

// TestNodeHeartbeatSoak keeps a websocket and a polling-only session open
// for 30 s against a server pinging every 200 ms: about 150 ping/pong
// cycles each, and no timeout.
func TestNodeHeartbeatSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s soak")
	}
	const interval, timeout, soak = 200 * time.Millisecond, 1000 * time.Millisecond, 30 * time.Second
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: interval, PingTimeout: timeout})
	for _, mode := range []string{"websocket", "polling"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			c := client.New(nil)
			rec := record(c)
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{mode}}))
			select {
			case r := <-rec.discCh:
				t.Fatalf("disconnected during the soak: %s", r)
			case <-time.After(soak):
			}
			pings := rec.pingCount()
			t.Logf("%s: %d ping/pong cycles in %v", mode, pings, soak)
			require.GreaterOrEqual(t, pings, 120, "about soak/interval pings expected")
			require.LessOrEqual(t, pings, 160)
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, 5*time.Second))
		})
	}
}

// TestNodeV3 runs protocol revision 3 against engine.io 3: echo in every
// mode, with a non-BMP character and binary, and the client-driven
// heartbeat's ping timeout when the server is paused.
func TestNodeV3(t *testing.T) {
	const interval, timeout = 250 * time.Millisecond, 500 * time.Millisecond
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			p := peer.Start(t, peer.Node3, peer.Options{PingInterval: interval, PingTimeout: timeout})
			c := client.New(nil)
			rec := record(c)
			opts := &client.ConnectOptions{Transports: mode.transports, Revision: codec.V3}
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, opts))
			if mode.final != mode.first {
				require.Equal(t, mode.final, rec.upgraded(t, 5*time.Second))
			}
			require.NoError(t, c.Send("€ and 😀"))
			require.NoError(t, c.Send([]byte{4, 0, 255}))
			require.Equal(t, "€ and 😀", rec.next(t, 5*time.Second).Text())
			require.Equal(t, client.Message{Data: []byte{4, 0, 255}, Binary: true}, rec.next(t, 5*time.Second))
			require.Eventually(t, func() bool { return rec.pingCount() >= 2 }, 5*time.Second, 10*time.Millisecond,
				"the client pings and the v3 server answers")

			require.NoError(t, p.Pause())
			reason := rec.disconnected(t, interval+timeout+2*time.Second)
			require.NoError(t, p.Resume())
			require.Equal(t, client.ReasonPingTimeout, reason)
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			requireNoGoroutines(t)
		})
	}
}

type peerStats struct {
	Received   int            `json:"received"`
	OutOfOrder int            `json:"outOfOrder"`
	Duplicates int            `json:"duplicates"`
	Keys       map[string]int `json:"keys"`
}

// TestNodeUpgradeLosesNothing sends 10,000 messages from 8 goroutines while
// the session upgrades from polling to websocket; the server counts them:
// all arrive, none twice, each goroutine's in order.
func TestNodeUpgradeLosesNothing(t *testing.T) {
	const senders, total = 8, 10000
	p := peer.Start(t, peer.Node6, peer.Options{})
	for round := range 3 {
		t.Run(fmt.Sprint("round", round), func(t *testing.T) {
			c := client.New(nil)
			rec := record(c)
			stats := make(chan string, 1)
			c.OnMessage(func(m client.Message) {
				if s, ok := strings.CutPrefix(m.Text(), "stats:"); ok {
					stats <- s
				}
			})
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))
			require.Equal(t, "polling", c.Transport(), "the sends start before the switch")
			sendSequences(t, c, senders, total/senders)
			require.Equal(t, "websocket", rec.upgraded(t, 10*time.Second))
			require.NoError(t, c.Send("cmd:stats"))
			var st peerStats
			select {
			case s := <-stats:
				require.NoError(t, json.Unmarshal([]byte(s), &st))
			case <-time.After(10 * time.Second):
				t.Fatal("no stats from the peer")
			}
			require.Equal(t, total, st.Received)
			require.Zero(t, st.OutOfOrder)
			require.Zero(t, st.Duplicates)
			require.Len(t, st.Keys, senders)
			for _, last := range st.Keys {
				require.Equal(t, total/senders-1, last)
			}
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		})
	}
}

// TestNodeWriteBufferBound pauses the server so it stops reading: Send
// accepts messages up to MaxBufferedBytes, then returns ErrBufferFull —
// empty messages too, which count their packet's overhead.
func TestNodeWriteBufferBound(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	const bound, overhead = 64 << 10, 64
	for _, msg := range []string{strings.Repeat("x", 1024), ""} {
		t.Run(fmt.Sprintf("%d bytes", len(msg)), func(t *testing.T) {
			c := client.New(&client.Options{MaxBufferedBytes: bound})
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
			require.NoError(t, p.Pause())
			defer func() { _ = p.Resume() }()
			cost := len(msg) + overhead
			var accepted int
			var err error
			for accepted = 0; accepted < 10*bound/cost; accepted++ {
				if err = c.Send(msg); err != nil {
					break
				}
			}
			require.ErrorIs(t, err, client.ErrBufferFull)
			// One POST may hold a batch already handed to the transport;
			// the rest is bounded.
			require.LessOrEqual(t, accepted*cost, 2*bound+cost)
			c.Abort()
			require.NoError(t, p.Resume())
		})
	}
}

// TestNodeWebSocketSendNeverWaits pauses the server so it stops reading a
// WebSocket, and sends 1 KiB messages with pauses long enough for each
// Send to find the connection idle and start the write itself: once the
// send buffers are full, Send still returns, and ErrBufferFull comes when
// MaxBufferedBytes is reached.
func TestNodeWebSocketSendNeverWaits(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	const bound = 64 << 10
	c := client.New(&client.Options{MaxBufferedBytes: bound})
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"websocket"}}))
	require.NoError(t, p.Pause())
	defer func() { _ = p.Resume() }()
	msg := strings.Repeat("x", 1024)
	result := make(chan error, 1)
	go func() {
		// Bounded: 64 MiB is more than loopback buffers hold.
		for range 64 << 10 {
			if err := c.Send(msg); err != nil {
				result <- err
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
		result <- nil
	}()
	select {
	case err := <-result:
		require.ErrorIs(t, err, client.ErrBufferFull)
	case <-time.After(30 * time.Second):
		t.Fatal("Send waited for the network")
	}
	c.Abort()
	require.NoError(t, p.Resume())
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
}

// TestNodeBurst asks engine.io for 3,000 messages right after the
// handshake. Over polling alone engine.io answers the next poll with what
// it queued, a payload of more than 256 packets that the client hands on
// in parts; with the upgrade allowed, they come around the switch. Either
// way every message arrives once, in order.
func TestNodeBurst(t *testing.T) {
	const burst = 3000
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range []string{"polling", "upgrade"} {
		for round := range 3 {
			t.Run(fmt.Sprint(mode, round), func(t *testing.T) {
				c := client.New(nil)
				rec := record(c)
				var polled atomic.Int64
				c.OnPacket(func(dir client.Direction, transport string, pk codec.Packet) {
					if dir == client.Inbound && transport == "polling" && pk.Type == codec.Message {
						polled.Add(1)
					}
				})
				opts := &client.ConnectOptions{Transports: []string{"polling"}}
				if mode == "upgrade" {
					opts = nil
				}
				require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, opts))
				require.NoError(t, c.Send(fmt.Sprintf("cmd:burst:%d", burst)))
				for i := range burst {
					require.Equal(t, fmt.Sprintf("burst:%d", i), rec.next(t, 10*time.Second).Text())
				}
				if mode == "polling" {
					require.Equal(t, int64(burst), polled.Load())
				} else {
					require.Equal(t, "websocket", rec.upgraded(t, 10*time.Second))
				}
				require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
				t.Logf("messages over polling: %d of %d", polled.Load(), burst)
			})
		}
	}
}
