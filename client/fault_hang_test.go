package client_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/faultproxy"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
)

// TestFaultHandshakeHang puts a server that accepts the handshake request
// and never answers behind each transport: Connect returns when Connect's
// context ends or when Options.RequestTimeout runs out, whichever is
// first, with an error saying so.
func TestFaultHandshakeHang(t *testing.T) {
	p := nodeURL(t)
	fp := viaFaults(t, p)
	fp.Set(faultproxy.Faults{Rules: []faultproxy.Rule{{Match: faultproxy.IsHandshake, Fault: faultproxy.Hang{}}}})
	for _, mode := range faultModes {
		for _, tc := range []struct {
			name           string
			ctxTimeout     time.Duration
			requestTimeout time.Duration
			bound          time.Duration
		}{
			{"ctx", 600 * time.Millisecond, 0, 600 * time.Millisecond},
			{"RequestTimeout", 10 * time.Second, 400 * time.Millisecond, 400 * time.Millisecond},
		} {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				hits := fp.Hits()
				c := client.New(&client.Options{RequestTimeout: tc.requestTimeout})
				rec := record(c)
				start := time.Now()
				err := c.Connect(testCtx(t, tc.ctxTimeout), fp.URL(), &client.ConnectOptions{Transports: []string{mode}})
				took := time.Since(start)
				// The request that timed out is named when RequestTimeout ended
				// it; Connect's own deadline ends the attempt as a whole.
				if tc.requestTimeout > 0 {
					require.ErrorContains(t, err, map[string]string{"polling": "polling GET", "websocket": "websocket dial"}[mode])
				}
				require.ErrorIs(t, err, client.ErrConnect)
				require.ErrorIs(t, err, context.DeadlineExceeded)
				require.GreaterOrEqual(t, took, tc.bound)
				require.Less(t, took, tc.bound+3*time.Second)
				require.Equal(t, hits+1, fp.Hits(), "one handshake, held by the proxy")
				require.NoError(t, c.Wait(testCtx(t, time.Second)))
				require.Empty(t, rec.discCh, "no session, no disconnect")
				requireNoGoroutines(t)
				requireNoHTTPConns(t)
			})
		}
	}
	// The client gave up on each held request and closed its connection.
	require.Eventually(t, func() bool { return fp.Open() == 0 }, 3*time.Second, 10*time.Millisecond)
}

// TestFaultProbeHang drops the upgrade probe, the client's "2probe" or
// the server's "3probe", on its way: the upgrade is abandoned after
// Options.ProbeTimeout with an upgrade error, and the session stays on
// polling and keeps carrying messages.
func TestFaultProbeHang(t *testing.T) {
	const probeTimeout = 500 * time.Millisecond
	p := nodeURL(t)
	for _, dir := range []faultproxy.Direction{faultproxy.Up, faultproxy.Down} {
		t.Run(dir.String(), func(t *testing.T) {
			fp := viaFaults(t, p)
			fp.Set(faultproxy.Faults{DropFrame: func(d faultproxy.Direction, f faultproxy.Frame) bool {
				return d == dir && faultproxy.IsEngineProbe(d, f)
			}})
			c := client.New(&client.Options{ProbeTimeout: probeTimeout})
			rec := record(c)
			upErr := make(chan error, 4)
			c.OnUpgradeError(func(err error) { upErr <- err })
			start := time.Now()
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), fp.URL(), nil))
			err := within(t, upErr, probeTimeout+3*time.Second, "upgrade error")
			took := time.Since(start)
			require.GreaterOrEqual(t, took, probeTimeout)
			require.Less(t, took, probeTimeout+3*time.Second)
			require.ErrorIs(t, err, fsm.ErrProbe)
			require.ErrorContains(t, err, "no answer within 500ms")

			require.Equal(t, "polling", c.Transport())
			sendNumbered(t, c, "m", 0, 10)
			expectNumbered(t, rec, "m", 0, 10, 5*time.Second)
			require.Equal(t, "polling", c.Transport())
			rec.mu.Lock()
			require.Empty(t, rec.upgrades)
			rec.mu.Unlock()
			requireUniqueInOrder(t, rec)
			endClean(t, c, rec)
		})
	}
}

// TestFaultProbeRefused answers the upgrade's WebSocket handshake with
// 502: the upgrade fails at once with the status, and the session stays
// on polling and keeps carrying messages.
func TestFaultProbeRefused(t *testing.T) {
	p := nodeURL(t)
	fp := viaFaults(t, p)
	fp.Set(faultproxy.Faults{Rules: []faultproxy.Rule{{
		Match: faultproxy.All(faultproxy.IsWebSocket, func(r *http.Request) bool { return !faultproxy.IsHandshake(r) }),
		Fault: faultproxy.Answer{Status: http.StatusBadGateway, Body: "no websockets today"},
	}}})
	c := client.New(nil)
	rec := record(c)
	upErr := make(chan error, 4)
	c.OnUpgradeError(func(err error) { upErr <- err })
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), fp.URL(), nil))
	err := within(t, upErr, 5*time.Second, "upgrade error")
	require.ErrorIs(t, err, fsm.ErrProbe)
	var he *transports.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusBadGateway, he.Status)
	require.Equal(t, "WebSocket", he.Method)
	require.Equal(t, "no websockets today", he.Message)
	require.Equal(t, 1, fp.Hits())

	sendNumbered(t, c, "m", 0, 10)
	expectNumbered(t, rec, "m", 0, 10, 5*time.Second)
	require.Equal(t, "polling", c.Transport())
	requireUniqueInOrder(t, rec)
	endClean(t, c, rec)
}
