package client_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/transports"
)

type tracedPacket struct {
	dir       client.Direction
	transport string
	packet    string
}

// TestNodePacketEvents traces every packet of an upgrading session with
// OnPacket: the handshake, the probe, the upgrade, heartbeats and
// messages, each with its direction and transport, in order.
func TestNodePacketEvents(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 100 * time.Millisecond})
	c := client.New(nil)
	rec := record(c)
	var mu sync.Mutex
	var trace []tracedPacket
	c.OnPacket(func(dir client.Direction, transport string, pk codec.Packet) {
		mu.Lock()
		trace = append(trace, tracedPacket{dir, transport, pk.String()})
		mu.Unlock()
	})
	connectMode(t, c, rec, p.URL, "upgrade", nil)
	require.Eventually(t, func() bool { return rec.pingCount() >= 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, c.Send("traced"))
	require.Equal(t, "traced", rec.next(t, 5*time.Second).Text())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))

	mu.Lock()
	defer mu.Unlock()
	index := func(dir client.Direction, transport, prefix string) int {
		for i, tp := range trace {
			if tp.dir == dir && tp.transport == transport && len(tp.packet) >= len(prefix) && tp.packet[:len(prefix)] == prefix {
				return i
			}
		}
		t.Fatalf("no %s packet %q on %s in %v", dir, prefix, transport, trace)
		return -1
	}
	open := index(client.Inbound, "polling", "open")
	probe := index(client.Outbound, "websocket", "ping \"probe\"")
	answer := index(client.Inbound, "websocket", "pong \"probe\"")
	upgrade := index(client.Outbound, "websocket", "upgrade")
	sent := index(client.Outbound, "websocket", "message \"traced\"")
	echoed := index(client.Inbound, "websocket", "message \"traced\"")
	ping := index(client.Inbound, "websocket", "ping")
	pong := index(client.Outbound, "websocket", "pong")
	closed := index(client.Outbound, "websocket", "close")
	require.True(t, open < probe && probe < answer && answer < upgrade && upgrade < sent && sent < echoed && echoed < closed,
		"order: %v", trace)
	require.Less(t, ping, pong)
	require.Equal(t, "in", client.Inbound.String())
	require.Equal(t, "out", client.Outbound.String())
}

// TestNodeHandlerReentry registers handlers before and after Connect and
// calls Send, Disconnect and Abort from inside handlers.
func TestNodeHandlerReentry(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		for _, abort := range []bool{false, true} {
			name := mode.name + "/disconnect"
			if abort {
				name = mode.name + "/abort"
			}
			t.Run(name, func(t *testing.T) {
				c := client.New(nil)
				registered := make(chan struct{})
				c.OnConnect(func(client.ConnectInfo) {
					<-registered // the message handler comes after Connect
					require.NoError(t, c.Send("from the connect handler"))
				})
				gone := make(chan client.Reason, 1)
				c.OnDisconnect(func(r client.Reason, _ error) { gone <- r })
				require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: mode.transports}))

				// Registered after Connect: still sees the echo of the
				// message the connect handler sent.
				var got []string
				disconnected := make(chan error, 1)
				c.OnMessage(func(m client.Message) {
					got = append(got, m.Text())
					switch m.Text() {
					case "from the connect handler":
						require.NoError(t, c.Send("from the message handler"))
					case "from the message handler":
						if abort {
							c.Abort()
							disconnected <- nil
							return
						}
						disconnected <- c.Disconnect(testCtx(t, 5*time.Second))
					}
				})
				close(registered)
				select {
				case err := <-disconnected:
					require.NoError(t, err)
				case <-time.After(10 * time.Second):
					t.Fatal("the handlers never disconnected")
				}
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
				require.Equal(t, client.ReasonClientDisconnect, <-gone)
				require.Equal(t, []string{"from the connect handler", "from the message handler"}, got)
				require.ErrorIs(t, c.Send("late"), client.ErrClosed)
				requireNoGoroutines(t)
			})
		}
	}
}

// TestNodeConnectFromDisconnectHandler reconnects by hand from a
// disconnect handler, as python-engineio's documentation shows, without
// a reconnection policy and with one that declines the reason.
func TestNodeConnectFromDisconnectHandler(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	declines := &client.ReconnectPolicy{Retry: func(client.Reason, error) bool { return false }}
	for _, opts := range []*client.Options{nil, {Reconnect: declines}} {
		for range 5 {
			c := client.New(opts)
			connected := make(chan string, 2)
			c.OnConnect(func(ci client.ConnectInfo) { connected <- ci.SID })
			var once sync.Once
			c.OnDisconnect(func(r client.Reason, _ error) {
				once.Do(func() {
					require.Equal(t, client.ReasonServerDisconnect, r)
					require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))
				})
			})
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, nil))
			first := <-connected
			require.NoError(t, c.Send("cmd:close"))
			select {
			case second := <-connected:
				require.NotEqual(t, first, second)
			case <-time.After(10 * time.Second):
				t.Fatal("no second session")
			}
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
		}
	}
	requireNoGoroutines(t)
}

// TestNodeStateAndUpgradeEvents refuses the WebSocket at a front: the
// upgrade error handler gets the refusal, the session goes on on polling,
// and the state handler sees every transition in order.
func TestNodeStateAndUpgradeEvents(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	f := startFront(t, p.URL)
	f.refuseWS.Store(true)
	c := client.New(nil)
	rec := record(c)
	upErrs := make(chan error, 1)
	c.OnUpgradeError(func(err error) { upErrs <- err })
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, nil))
	err := within(t, upErrs, 10*time.Second, "upgrade error")
	var he *transports.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusServiceUnavailable, he.Status)
	require.NoError(t, c.Send("still polling"))
	require.Equal(t, "still polling", rec.next(t, 5*time.Second).Text())
	require.Equal(t, "polling", c.Transport())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for _, ch := range rec.states {
		got = append(got, string(ch.From)+" -"+string(ch.Event)+"-> "+string(ch.To))
	}
	require.Equal(t, []string{
		"disconnected -connect-> handshaking",
		"handshaking -handshake_ok-> open",
		"open -upgrade_probe-> upgrading",
		"upgrading -upgrade_failed-> open",
		"open -close-> closing",
		"closing -closed-> disconnected",
	}, got)
}
