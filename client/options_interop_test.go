package client_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/transports"
)

// peerHandshake is the peer's answer to cmd:handshake: the request that
// opened the session, as the server saw it, and the current transport.
type peerHandshake struct {
	Headers   map[string]string `json:"headers"`
	Query     map[string]string `json:"query"`
	URL       string            `json:"url"`
	Transport string            `json:"transport"`
}

// askHandshake sends cmd:handshake and waits for the answer.
func askHandshake(t *testing.T, c *client.Client, rec *recorder) peerHandshake {
	t.Helper()
	require.NoError(t, c.Send("cmd:handshake"))
	m := rec.next(t, 5*time.Second)
	body, ok := strings.CutPrefix(m.Text(), "handshake:")
	require.True(t, ok, "unexpected message %q", m.Text())
	var hs peerHandshake
	require.NoError(t, json.Unmarshal([]byte(body), &hs))
	return hs
}

// connectMode connects c in a mode and waits for the upgrade it implies.
func connectMode(t *testing.T, c *client.Client, rec *recorder, rawURL string, mode string, opts *client.ConnectOptions) {
	t.Helper()
	var o client.ConnectOptions
	if opts != nil {
		o = *opts
	}
	for _, m := range modes {
		if m.name == mode {
			o.Transports = m.transports
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), rawURL, &o))
			if m.final != m.first {
				require.Equal(t, m.final, rec.upgraded(t, 5*time.Second))
			}
			require.Equal(t, m.final, c.Transport())
			return
		}
	}
	t.Fatalf("unknown mode %q", mode)
}

// TestNodeHeadersAndQuery sends headers from Options and ConnectOptions
// and a query parameter in every mode. The peer sees them on the request
// that opened the session (a WebSocket handshake in websocket mode); a
// recording front sees them on every polling GET and POST and on the
// WebSocket upgrade, with EIO, transport, sid and a fresh timestamp on
// each polling request and none on the WebSocket.
func TestNodeHeadersAndQuery(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 200 * time.Millisecond})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			f := startFront(t, p.URL)
			c := client.New(&client.Options{Header: http.Header{"X-Client": {"from-options"}}})
			rec := record(c)
			connectMode(t, c, rec, f.URL, mode.name, &client.ConnectOptions{
				Header: http.Header{"authorization": {"Bearer t0ken"}},
				Query:  url.Values{"token": {"a b&c"}},
			})
			require.Eventually(t, func() bool { return rec.pingCount() >= 2 }, 5*time.Second, 10*time.Millisecond)
			require.NoError(t, c.Send("hello"))
			require.Equal(t, "hello", rec.next(t, 5*time.Second).Text())

			hs := askHandshake(t, c, rec)
			require.Equal(t, mode.final, hs.Transport, "the peer reports the current transport")
			require.Equal(t, "Bearer t0ken", hs.Headers["authorization"])
			require.Equal(t, "from-options", hs.Headers["x-client"])
			require.Equal(t, "a b&c", hs.Query["token"])
			require.Equal(t, "4", hs.Query["EIO"])
			sid := c.SID()
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))

			stamps := map[string]bool{}
			var gets, posts, sockets int
			for i, r := range f.requests() {
				require.Equal(t, "/engine.io/", r.Path)
				require.Equal(t, "Bearer t0ken", r.Header.Get("Authorization"), "request %d", i)
				require.Equal(t, "from-options", r.Header.Get("X-Client"), "request %d", i)
				require.Equal(t, "a b&c", r.Query.Get("token"), "request %d", i)
				require.Equal(t, "4", r.Query.Get("EIO"))
				if i == 0 {
					require.False(t, r.Query.Has("sid"), "the handshake has no sid")
				} else {
					require.Equal(t, sid, r.Query.Get("sid"), "request %d", i)
				}
				if r.WebSocket {
					sockets++
					require.Equal(t, "websocket", r.Query.Get("transport"))
					require.False(t, r.Query.Has("t"), "WebSocket handshakes are not stamped")
					continue
				}
				require.Equal(t, "polling", r.Query.Get("transport"))
				st := r.Query.Get("t")
				require.NotEmpty(t, st, "polling request %d has no timestamp", i)
				require.False(t, stamps[st], "timestamp %q repeated", st)
				stamps[st] = true
				if r.Method == http.MethodGet {
					gets++
				} else {
					posts++
				}
			}
			switch mode.name {
			case "polling":
				require.GreaterOrEqual(t, gets, 3)
				require.GreaterOrEqual(t, posts, 2)
				require.Zero(t, sockets)
			case "websocket":
				require.Equal(t, 1, sockets)
				require.Zero(t, gets+posts)
			case "upgrade":
				require.Equal(t, 1, sockets)
				require.GreaterOrEqual(t, gets, 1)
			}
		})
	}
}

// TestNodeTimestampParam renames the timestamp parameter and turns it off.
func TestNodeTimestampParam(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 100 * time.Millisecond})
	for _, tc := range []struct{ param, want string }{{"", "t"}, {"ts", "ts"}, {"-", ""}} {
		t.Run("param="+tc.param, func(t *testing.T) {
			f := startFront(t, p.URL)
			c := client.New(&client.Options{TimestampParam: tc.param})
			rec := record(c)
			connectMode(t, c, rec, f.URL, "polling", nil)
			require.Eventually(t, func() bool { return rec.pingCount() >= 2 }, 5*time.Second, 10*time.Millisecond)
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			reqs := f.requests()
			require.GreaterOrEqual(t, len(reqs), 3)
			for _, r := range reqs {
				for _, k := range []string{"t", "ts"} {
					if k == tc.want {
						require.NotEmpty(t, r.Query.Get(k))
					} else {
						require.False(t, r.Query.Has(k), "unexpected %q in %v", k, r.Query)
					}
				}
			}
		})
	}
}

// TestNodeCustomPath connects to a peer serving a custom path in every
// mode; the default path gets the server's 404 as an HTTPError.
func TestNodeCustomPath(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{Path: "/realtime/eio"})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := client.New(nil)
			rec := record(c)
			connectMode(t, c, rec, p.URL, mode.name, &client.ConnectOptions{Path: "/realtime/eio/"})
			require.NoError(t, c.Send("on a custom path"))
			require.Equal(t, "on a custom path", rec.next(t, 5*time.Second).Text())
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		})
	}
	c := client.New(nil)
	err := c.Connect(testCtx(t, 10*time.Second), p.URL, nil)
	require.ErrorIs(t, err, client.ErrConnect)
	var he *transports.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusNotFound, he.Status)
	require.Equal(t, "GET", he.Method)
	requireNoGoroutines(t)
}

// TestNodeNoUpgrade keeps a session on polling although the server offers
// a WebSocket: no WebSocket request is ever made.
func TestNodeNoUpgrade(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 100 * time.Millisecond})
	f := startFront(t, p.URL)
	c := client.New(nil)
	rec := record(c)
	var info client.ConnectInfo
	c.OnConnect(func(ci client.ConnectInfo) { info = ci })
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{NoUpgrade: true}))
	require.Eventually(t, func() bool { return rec.pingCount() >= 5 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, "polling", c.Transport())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.Equal(t, []string{"websocket"}, info.Upgrades, "the server offered the upgrade")
	require.Empty(t, rec.upgrades)
	for _, r := range f.requests() {
		require.False(t, r.WebSocket, "a WebSocket was dialled")
	}
}

// TestNodeCookieStickiness runs against a peer that sets a cookie on the
// handshake, as a load balancer's affinity cookie would: every later
// polling request and the WebSocket upgrade carry it, with the client's
// own jar or with an injected http.Client's jar; a client without a jar
// sends none.
func TestNodeCookieStickiness(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{Cookie: "lb", PingInterval: 100 * time.Millisecond})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		opts *client.Options
		want bool
	}{
		{"own jar", nil, true},
		{"injected jar", &client.Options{HTTPClient: &http.Client{Jar: jar}}, true},
		{"no jar", &client.Options{HTTPClient: &http.Client{}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFront(t, p.URL)
			c := client.New(tc.opts)
			rec := record(c)
			connectMode(t, c, rec, f.URL, "polling", nil)
			sid := c.SID()
			// A few polls and a POST on polling, then the upgrade.
			require.Eventually(t, func() bool { return rec.pingCount() >= 3 }, 5*time.Second, 10*time.Millisecond)
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			connectMode(t, c, rec, f.URL, "upgrade", nil)
			sid2 := c.SID()
			require.NoError(t, c.Send("hi"))
			require.Equal(t, "hi", rec.next(t, 5*time.Second).Text())
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))

			var later, ws int
			for i, r := range f.requests() {
				sidOf := r.Query.Get("sid")
				if sidOf == "" {
					continue // a handshake: the cookie of a former session may be there
				}
				later++
				if r.WebSocket {
					ws++
				}
				cookie, err := (&http.Request{Header: r.Header}).Cookie("lb")
				if !tc.want {
					require.ErrorIs(t, err, http.ErrNoCookie, "request %d", i)
					continue
				}
				require.NoError(t, err, "request %d (%s websocket=%v) has no cookie", i, r.Method, r.WebSocket)
				require.Equal(t, sidOf, cookie.Value, "request %d carries another session's cookie", i)
				require.Contains(t, []string{sid, sid2}, sidOf)
			}
			require.GreaterOrEqual(t, later, 4)
			require.Equal(t, 1, ws, "the upgrade carries the cookie")
		})
	}
}

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conns := make(chan net.Conn, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(conns)
		for c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestNodeRequestTimeout checks Options.RequestTimeout: it bounds the
// handshake (polling GET or WebSocket dial) and POSTs, but a long-poll GET
// may last a whole ping interval.
func TestNodeRequestTimeout(t *testing.T) {
	const rt = 300 * time.Millisecond
	silent := silentListener(t)
	for _, tr := range []string{"polling", "websocket"} {
		t.Run("handshake "+tr, func(t *testing.T) {
			c := client.New(&client.Options{RequestTimeout: rt})
			start := time.Now()
			err := c.Connect(testCtx(t, 10*time.Second), silent, &client.ConnectOptions{Transports: []string{tr}})
			require.ErrorIs(t, err, client.ErrConnect)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Less(t, time.Since(start), 5*time.Second)
			requireNoGoroutines(t)
		})
	}
	t.Run("long poll", func(t *testing.T) {
		p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 800 * time.Millisecond, PingTimeout: 500 * time.Millisecond})
		c := client.New(&client.Options{RequestTimeout: rt})
		rec := record(c)
		connectMode(t, c, rec, p.URL, "polling", nil)
		require.Eventually(t, func() bool { return rec.pingCount() >= 3 }, 10*time.Second, 10*time.Millisecond,
			"long polls held for a ping interval must not time out")
		require.Equal(t, client.State("open"), c.State())
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	})
	t.Run("post", func(t *testing.T) {
		p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 5 * time.Second, PingTimeout: 5 * time.Second})
		c := client.New(&client.Options{RequestTimeout: rt})
		rec := record(c)
		connectMode(t, c, rec, p.URL, "polling", nil)
		require.NoError(t, p.Pause())
		defer func() { _ = p.Resume() }()
		require.NoError(t, c.Send("into the void"))
		require.Equal(t, client.ReasonTransportError, rec.disconnected(t, 5*time.Second))
		_, err := c.Reason()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	})
}

// TestNodeConnectDeadline bounds Connect by its context: the error
// matches context.DeadlineExceeded and ErrConnect.
func TestNodeConnectDeadline(t *testing.T) {
	silent := silentListener(t)
	c := client.New(&client.Options{RequestTimeout: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := c.Connect(ctx, silent, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, client.ErrConnect)
	var ce *client.ConnectError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, silent+"/engine.io/", ce.URL)
	requireNoGoroutines(t)
}

// TestNodeWebSocketDialOptions passes subprotocols, compression and a
// header through Options.WebSocketDialOptions and checks what the server
// saw on the WebSocket handshake. engine.io 6 declines permessage-deflate
// unless its perMessageDeflate option is on (the peer has no flag for
// it), so the session runs uncompressed after offering it.
func TestNodeWebSocketDialOptions(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range []string{"websocket", "upgrade"} {
		t.Run(mode, func(t *testing.T) {
			f := startFront(t, p.URL)
			c := client.New(&client.Options{
				Header: http.Header{"X-Both": {"client"}},
				WebSocketDialOptions: &ws.DialOptions{
					Subprotocols:    []string{"eio-test", "other"},
					CompressionMode: ws.CompressionContextTakeover,
					HTTPHeader:      http.Header{"X-Ws-Only": {"yes"}, "X-Both": {"dial"}},
				},
			})
			rec := record(c)
			connectMode(t, c, rec, f.URL, mode, nil)
			require.NoError(t, c.Send(strings.Repeat("compressible ", 100)))
			require.Equal(t, strings.Repeat("compressible ", 100), rec.next(t, 5*time.Second).Text())
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			var found bool
			for _, r := range f.requests() {
				if !r.WebSocket {
					require.Empty(t, r.Header.Get("X-Ws-Only"), "dial options are for the WebSocket only")
					continue
				}
				found = true
				require.Equal(t, "eio-test,other", r.Header.Get("Sec-WebSocket-Protocol"))
				require.Contains(t, r.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")
				require.Equal(t, "yes", r.Header.Get("X-Ws-Only"))
				require.Equal(t, "client", r.Header.Get("X-Both"), "the client's headers win")
			}
			require.True(t, found)
		})
	}
}

// TestNodeWebSocketFallback lists the WebSocket first; when the server
// refuses WebSockets, Connect falls back to polling, and the error of a
// connection that fails both ways reports both.
func TestNodeWebSocketFallback(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	f := startFront(t, p.URL)
	f.refuseWS.Store(true)
	c := client.New(nil)
	rec := record(c)
	var info client.ConnectInfo
	c.OnConnect(func(ci client.ConnectInfo) { info = ci })
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"websocket", "polling"}}))
	require.Equal(t, "polling", c.Transport())
	require.NoError(t, c.Send("via polling"))
	require.Equal(t, "via polling", rec.next(t, 5*time.Second).Text())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.Equal(t, "polling", info.Transport)
	reqs := f.requests()
	require.True(t, reqs[0].WebSocket, "the WebSocket is tried first")

	// Without the fallback the refusal is the error, with its status.
	err := c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"websocket"}})
	var he *transports.HTTPError
	require.ErrorAs(t, err, &he)
	require.Equal(t, http.StatusServiceUnavailable, he.Status)
	require.Equal(t, "WebSocket", he.Method)
	require.Equal(t, "no websockets here", he.Message)

	// Both failing: both errors are there.
	silent := silentListener(t)
	c2 := client.New(&client.Options{RequestTimeout: 200 * time.Millisecond})
	err = c2.Connect(testCtx(t, 10*time.Second), silent, &client.ConnectOptions{Transports: []string{"websocket", "polling"}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "websocket")
	require.Contains(t, err.Error(), "polling")
	requireNoGoroutines(t)
}

// TestNodeRememberUpgrade connects twice with Options.RememberUpgrade: the
// second session opens on a WebSocket directly. When WebSockets are then
// refused, the client falls back to polling and forgets.
func TestNodeRememberUpgrade(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	f := startFront(t, p.URL)
	c := client.New(&client.Options{RememberUpgrade: true})
	rec := record(c)
	infos := make(chan client.ConnectInfo, 8)
	c.OnConnect(func(ci client.ConnectInfo) { infos <- ci })

	connectMode(t, c, rec, f.URL, "upgrade", nil)
	require.Equal(t, "polling", (<-infos).Transport)
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))

	f.reset()
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, nil))
	require.Equal(t, "websocket", (<-infos).Transport, "the remembered upgrade skips polling")
	require.NoError(t, c.Send("direct"))
	require.Equal(t, "direct", rec.next(t, 5*time.Second).Text())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	reqs := f.requests()
	require.Len(t, reqs, 1)
	require.True(t, reqs[0].WebSocket)

	// Another Client remembers nothing.
	other := client.New(&client.Options{RememberUpgrade: true})
	require.NoError(t, other.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{NoUpgrade: true}))
	require.Equal(t, "polling", other.Transport())
	other.Abort()

	f.refuseWS.Store(true)
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, nil))
	require.Equal(t, "polling", (<-infos).Transport, "a refused WebSocket falls back to the listed transports")
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	f.refuseWS.Store(false)
	f.reset()
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{NoUpgrade: true}))
	require.Equal(t, "polling", (<-infos).Transport, "the failure cleared the memory")
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.False(t, f.requests()[0].WebSocket)
	requireNoGoroutines(t)
}

// TestNodeCompressionNegotiated asks for permessage-deflate and checks with
// the server (cmd:extensions) that Node's engine.io agreed to it, in both
// context-takeover modes, and that compressed messages echo intact.
func TestNodeCompressionNegotiated(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{ExtraArgs: []string{"--per-message-deflate"}})
	for name, mode := range map[string]ws.CompressionMode{
		"context takeover":    ws.CompressionContextTakeover,
		"no context takeover": ws.CompressionNoContextTakeover,
	} {
		t.Run(name, func(t *testing.T) {
			c := client.New(&client.Options{WebSocketDialOptions: &ws.DialOptions{CompressionMode: mode}})
			rec := record(c)
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"websocket"}}))
			require.NoError(t, c.Send("cmd:extensions"))
			ext := rec.next(t, 5*time.Second).Text()
			require.True(t, strings.HasPrefix(ext, "extensions:permessage-deflate"), ext)
			big := strings.Repeat("compressible ", 1000)
			require.NoError(t, c.Send(big))
			require.Equal(t, big, rec.next(t, 5*time.Second).Text())
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		})
	}
	// Without the option the client offers nothing and nothing is agreed.
	c := client.New(nil)
	rec := record(c)
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"websocket"}}))
	require.NoError(t, c.Send("cmd:extensions"))
	require.Equal(t, "extensions:", rec.next(t, 5*time.Second).Text())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
}
