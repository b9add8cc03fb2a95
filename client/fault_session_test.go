package client_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/faultproxy"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/fsm"
)

// TestFaultReset resets the connection in the middle of a session, before
// or a few bytes into the server's next answer and the client's next
// send: the session ends with a transport error whose cause is the reset
// (for a polling answer cut after 3 bytes, net/http reports the malformed
// response it got instead), Wait returns, and nothing arrives twice.
func TestFaultReset(t *testing.T) {
	p := nodeURL(t)
	for _, mode := range faultModes {
		for _, rc := range []struct {
			dir   faultproxy.Direction
			after int64
		}{{faultproxy.Down, 0}, {faultproxy.Down, 3}, {faultproxy.Up, 0}, {faultproxy.Up, 10}} {
			dir := rc.dir
			t.Run(fmt.Sprintf("%s/%s@%d", mode, dir, rc.after), func(t *testing.T) {
				fp := viaFaults(t, p)
				c := client.New(nil)
				rec := record(c)
				connectMode(t, c, rec, fp.URL(), mode, nil)
				sendNumbered(t, c, "m", 0, 5)
				expectNumbered(t, rec, "m", 0, 5, 5*time.Second)

				// A few bytes of the next answer (or send) pass, then an RST.
				shape := faultproxy.Shape{Reset: true, ResetAfter: rc.after}
				if dir == faultproxy.Down {
					fp.Set(faultproxy.Faults{Down: shape})
				} else {
					fp.Set(faultproxy.Faults{Up: shape})
				}
				sendUntilClosed(t, c, "m", 5, 5)
				require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 5*time.Second))
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
				reason, err := c.Reason()
				require.Equal(t, client.ReasonTransportError, reason)
				// A polling answer cut after 3 bytes may come out of net/http
				// as the malformed response it got rather than as the reset.
				cut := mode == "polling" && dir == faultproxy.Down && rc.after > 0 &&
					strings.Contains(err.Error(), `malformed HTTP response "HTT"`)
				if !cut {
					requireReset(t, err)
				}
				requireUniqueInOrder(t, rec)
				require.ErrorIs(t, c.SendText("after"), client.ErrClosed)
				requireNoGoroutines(t)
				requireNoHTTPConns(t)
			})
		}
		// A reset before the handshake's answer fails Connect.
		t.Run("handshake/"+mode, func(t *testing.T) {
			fp := viaFaults(t, p)
			fp.Set(faultproxy.Faults{Down: faultproxy.Shape{Reset: true}})
			c := client.New(nil)
			err := c.Connect(testCtx(t, 10*time.Second), fp.URL(), &client.ConnectOptions{Transports: []string{mode}})
			require.ErrorIs(t, err, client.ErrConnect)
			requireReset(t, err)
			require.NoError(t, c.Wait(testCtx(t, time.Second)))
			requireNoGoroutines(t)
			requireNoHTTPConns(t)
		})
	}
}

// requireReset checks that err comes from a reset connection: a read or
// write that met the RST, or, over polling, net/http's report of the
// response that ended early because of it.
func requireReset(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF), "the cause is the reset: %v", err)
}

// TestFaultResetReconnect resets a websocket session of a client with a
// reconnection policy: it reconnects with a new sid, carries messages
// again, and no message arrives twice across the two sessions.
func TestFaultResetReconnect(t *testing.T) {
	p := nodeURL(t)
	fp := viaFaults(t, p)
	c := client.New(&client.Options{Reconnect: &client.ReconnectPolicy{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond}})
	r := recordReconnects(c)
	rec := record(c)
	connectMode(t, c, rec, fp.URL(), "websocket", nil)
	first := within(t, r.connects, time.Second, "connect")
	sendNumbered(t, c, "a", 0, 5)
	expectNumbered(t, rec, "a", 0, 5, 5*time.Second)

	fp.Set(faultproxy.Faults{Down: faultproxy.Shape{Reset: true, ResetAfter: 3}})
	sendUntilClosed(t, c, "a", 5, 1)
	require.Equal(t, client.ReasonTransportError, within(t, r.discs, 5*time.Second, "disconnect"))
	fp.Clear()
	info := within(t, r.done, 10*time.Second, "reconnection")
	require.NotEqual(t, first.SID, info.SID)
	require.Equal(t, "websocket", info.Transport)

	sendNumbered(t, c, "b", 0, 5)
	expectNumbered(t, rec, "b", 0, 5, 5*time.Second)
	requireUniqueInOrder(t, rec)
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	require.Equal(t, client.ReasonClientDisconnect, within(t, r.discs, time.Second, "disconnect"))
	requireNoGoroutines(t)
	requireNoHTTPConns(t)
}

// TestFaultHalfOpen stops the traffic both ways without closing anything:
// the server's pings stop reaching the client, which ends the session with
// a ping timeout after pingInterval + pingTimeout. The ping timeout is
// generous so that a loaded machine does not miss a heartbeat before the
// fault.
func TestFaultHalfOpen(t *testing.T) {
	const interval, timeout = 250 * time.Millisecond, 1500 * time.Millisecond
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: interval, PingTimeout: timeout}).URL
	for _, mode := range faultModes {
		t.Run(mode, func(t *testing.T) {
			fp := viaFaults(t, p)
			c := client.New(nil)
			rec := record(c)
			connectMode(t, c, rec, fp.URL(), mode, nil)
			requirePings(t, rec, 2, 5*time.Second)
			sendNumbered(t, c, "m", 0, 3)
			expectNumbered(t, rec, "m", 0, 3, 5*time.Second)

			fp.Set(faultproxy.Faults{HalfOpen: true})
			held := time.Now()
			require.Equal(t, 3, sendUntilClosed(t, c, "m", 3, 3))
			require.Equal(t, client.ReasonPingTimeout, rec.disconnected(t, interval+timeout+3*time.Second))
			require.LessOrEqual(t, time.Since(held), interval+timeout+2*time.Second)
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			_, err := c.Reason()
			require.ErrorIs(t, err, fsm.ErrPingTimeout)
			require.ErrorContains(t, err, "no ping from the server in 1.75s")
			requireNoGoroutines(t)
			requireNoHTTPConns(t)
			// The three messages accepted while the path was dead are lost
			// with the session: Engine.IO has no acknowledgements.
			requireUniqueInOrder(t, rec)
			rec.mu.Lock()
			require.Len(t, rec.messages, 3)
			rec.mu.Unlock()
		})
	}
}

// requirePings waits until the client has answered n pings, and fails at
// once, with the reason, when the session ends first.
func requirePings(t *testing.T, rec *recorder, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for rec.pingCount() < n {
		select {
		case reason := <-rec.discCh:
			rec.mu.Lock()
			err := rec.err
			rec.mu.Unlock()
			t.Fatalf("the session ended after %d pings: %s: %v", rec.pingCount(), reason, err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pings within %v, want %d", rec.pingCount(), within, n)
		}
	}
}

// TestFaultHalfOpenClose ends a session by Disconnect or Abort while the
// path is dead. Disconnect's close packet cannot get through, and it
// must return within Options.CloseTimeout; Abort writes nothing and must
// return at once. Both end as a client disconnect with nothing left.
func TestFaultHalfOpenClose(t *testing.T) {
	const closeTimeout = 300 * time.Millisecond
	p := nodeURL(t)
	for _, abort := range []bool{false, true} {
		for _, mode := range faultModes {
			name := map[bool]string{false: "disconnect", true: "abort"}[abort] + "/" + mode
			t.Run(name, func(t *testing.T) {
				fp := viaFaults(t, p)
				c := client.New(&client.Options{CloseTimeout: closeTimeout})
				rec := record(c)
				connectMode(t, c, rec, fp.URL(), mode, nil)
				sendNumbered(t, c, "m", 0, 3)
				expectNumbered(t, rec, "m", 0, 3, 5*time.Second)

				fp.Set(faultproxy.Faults{HalfOpen: true})
				start := time.Now()
				bound := closeTimeout + 2*time.Second
				if abort {
					c.Abort()
					bound = 2 * time.Second
				} else {
					require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
				}
				require.Less(t, time.Since(start), bound)
				require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
				require.NoError(t, c.Wait(testCtx(t, time.Second)))
				requireNoGoroutines(t)
				requireNoHTTPConns(t)
			})
		}
	}
}
