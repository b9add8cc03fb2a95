package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
)

// leakCase is one way for a connection to end.
type leakCase struct {
	name string
	// setup starts what the case needs besides the client (a peer
	// restarted, a front) and returns the URL to connect to. Its
	// goroutines are the test's, not the client's: they exist before the
	// snapshot the check starts from.
	setup func(t *testing.T) string
	// run makes a client, brings the connection down one way and waits
	// for the end (Wait, or the failed Connect).
	run func(t *testing.T, url string)
}

// TestLeaksAfterEveryEnding ends a connection in each way it can end —
// client close, abort, server close, transport error (the server killed,
// with and without reconnection), ping timeout (the server paused), failed
// connect (refused port, HTTP 400, a refused WebSocket, an unanswered
// handshake) and failed upgrade (a refused or an unanswered WebSocket
// probe, the session going on on polling until Disconnect) — and checks
// with goleak that no goroutine started since the client was made is
// left: the client's, its transports', coder/websocket's and net/http's
// (the client's own HTTP connections) alike.
func TestLeaksAfterEveryEnding(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	beat := peer.Start(t, peer.Node6, peer.Options{PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	victim := peer.Start(t, peer.Node6, peer.Options{})
	victimDown := false

	onPeer := func(*testing.T) string { return p.URL }
	onBeat := func(*testing.T) string { return beat.URL }
	onVictim := func(t *testing.T) string {
		if victimDown {
			require.NoError(t, victim.Restart(t))
			victimDown = false
		}
		return victim.URL
	}
	kill := func(t *testing.T) {
		require.NoError(t, victim.Kill())
		victimDown = true
	}

	var cases []leakCase
	for _, mode := range modes {
		cases = append(cases,
			leakCase{"client close/" + mode.name, onPeer, func(t *testing.T, u string) {
				c, rec := leakClient(t, nil, u, mode.name)
				require.NoError(t, c.Send("echo"))
				require.Equal(t, "echo", rec.next(t, 5*time.Second).Text())
				require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
				require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
			}},
			leakCase{"abort/" + mode.name, onPeer, func(t *testing.T, u string) {
				c, rec := leakClient(t, nil, u, mode.name)
				require.NoError(t, c.Send("unanswered"))
				c.Abort()
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
				require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
			}},
			leakCase{"server close/" + mode.name, onPeer, func(t *testing.T, u string) {
				c, rec := leakClient(t, nil, u, mode.name)
				require.NoError(t, c.Send("cmd:close"))
				require.Equal(t, client.ReasonServerDisconnect, rec.disconnected(t, 5*time.Second))
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			}},
			leakCase{"transport error/" + mode.name, onVictim, func(t *testing.T, u string) {
				c, rec := leakClient(t, nil, u, mode.name)
				kill(t)
				require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 10*time.Second))
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			}},
			leakCase{"ping timeout/" + mode.name, onBeat, func(t *testing.T, u string) {
				c, rec := leakClient(t, nil, u, mode.name)
				require.NoError(t, beat.Pause())
				t.Cleanup(func() { _ = beat.Resume() }) // after the check: nothing may wait for the server
				require.Equal(t, client.ReasonPingTimeout, rec.disconnected(t, 5*time.Second))
				require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			}},
		)
	}
	cases = append(cases,
		leakCase{"transport error/reconnection gives up", onVictim, func(t *testing.T, u string) {
			policy := &client.ReconnectPolicy{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond, MaxAttempts: 2}
			c, rec := leakClient(t, &client.Options{Reconnect: policy}, u, "upgrade")
			failed := make(chan error, 1)
			c.OnReconnectFailed(func(_ int, err error) { failed <- err })
			kill(t)
			require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 10*time.Second))
			require.ErrorIs(t, within(t, failed, 10*time.Second, "the reconnection's end"), client.ErrConnect)
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
		}},
		leakCase{"failed connect/refused port", closedPort, func(t *testing.T, u string) {
			err := client.New(nil).Connect(testCtx(t, 5*time.Second), u, nil)
			require.ErrorIs(t, err, client.ErrConnect)
		}},
		leakCase{"failed connect/HTTP 400", onPeer, func(t *testing.T, u string) {
			for _, tr := range []string{"polling", "websocket"} {
				err := client.New(nil).Connect(testCtx(t, 5*time.Second), u,
					&client.ConnectOptions{Revision: codec.V3, Transports: []string{tr}})
				require.ErrorIs(t, err, client.ErrConnect, tr)
			}
		}},
		leakCase{"failed connect/websocket refused", refusingFront(p), func(t *testing.T, u string) {
			err := client.New(nil).Connect(testCtx(t, 5*time.Second), u, &client.ConnectOptions{Transports: []string{"websocket"}})
			require.ErrorIs(t, err, client.ErrConnect)
		}},
		leakCase{"failed connect/handshake unanswered", holdingFront(p, true), func(t *testing.T, u string) {
			err := client.New(nil).Connect(testCtx(t, 300*time.Millisecond), u, nil)
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}},
		leakCase{"failed upgrade/websocket refused", refusingFront(p), func(t *testing.T, u string) {
			failedUpgrade(t, nil, u)
		}},
		leakCase{"failed upgrade/probe unanswered", holdingFront(p, false), func(t *testing.T, u string) {
			failedUpgrade(t, &client.Options{ProbeTimeout: 300 * time.Millisecond}, u)
		}},
	)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.setup(t)
			before := goleak.IgnoreCurrent()
			tc.run(t, u)
			// The fronts' reverse proxies keep their connections to the
			// peer alive in http.DefaultTransport (the client's transport
			// is a clone with a pool of its own); those are the test's.
			http.DefaultTransport.(*http.Transport).CloseIdleConnections()
			// A goroutine takes a moment to unwind after it signalled its
			// owner, and the servers' connection goroutines end when they
			// read the client's close: wait (bounded), then report.
			require.Eventually(t, func() bool { return goleak.Find(before) == nil }, 5*time.Second, 20*time.Millisecond)
			goleak.VerifyNone(t, before)
		})
	}
}

// leakClient connects a new client in a mode and waits for its upgrade.
func leakClient(t *testing.T, opts *client.Options, u, mode string) (*client.Client, *recorder) {
	t.Helper()
	c := client.New(opts)
	rec := record(c)
	connectMode(t, c, rec, u, mode, nil)
	return c, rec
}

// failedUpgrade connects in the default mode through a front that lets
// the probe fail: the session reports the upgrade error, goes on on
// polling, and ends by Disconnect.
func failedUpgrade(t *testing.T, opts *client.Options, u string) {
	t.Helper()
	c := client.New(opts)
	rec := record(c)
	upErr := make(chan error, 1)
	c.OnUpgradeError(func(err error) { upErr <- err })
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), u, nil))
	require.Error(t, within(t, upErr, 10*time.Second, "the upgrade error"))
	require.NoError(t, c.Send("on polling"))
	require.Equal(t, "on polling", rec.next(t, 5*time.Second).Text())
	require.Equal(t, "polling", c.Transport())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
}

// closedPort returns the URL of a port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	return u
}

// refusingFront returns a setup starting a front that answers WebSocket
// handshakes with 503.
func refusingFront(p *peer.Peer) func(*testing.T) string {
	return func(t *testing.T) string {
		f := startFront(t, p.URL)
		f.refuseWS.Store(true)
		return f.URL
	}
}

// holdingFront returns a setup starting a server in front of p that
// never answers WebSocket handshakes — or, with all, any request — until
// the client gives up on them; other requests go to p.
func holdingFront(p *peer.Peer, all bool) func(*testing.T) string {
	return func(t *testing.T) string {
		target, err := url.Parse(p.URL)
		require.NoError(t, err)
		rp := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if all || strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				<-r.Context().Done()
				return
			}
			rp.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}
