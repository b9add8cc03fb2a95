package faultproxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/faultproxy"
)

// startHTTP starts an HTTP server that answers "hello <path>" and echoes
// WebSocket messages on /ws.
func startHTTP(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			_, _ = io.WriteString(w, "hello "+r.URL.Path)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, data, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if c.Write(r.Context(), typ, data) != nil {
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// httpClient is a client of its own, closed at the end of the test.
func httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func get(t *testing.T, c *http.Client, url string) (int, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func TestHTTPRules(t *testing.T) {
	s := startHTTP(t)
	p := faultproxy.Start(t, s.URL, faultproxy.HTTP)
	c := httpClient(t)
	path := func(want string) func(*http.Request) bool {
		return func(r *http.Request) bool { return r.URL.Path == want }
	}
	p.Set(faultproxy.Faults{Rules: []faultproxy.Rule{
		{Match: path("/busy"), Fault: faultproxy.Answer{Status: http.StatusTooManyRequests, Body: "slow down"}, Times: 1},
		{Match: path("/bad"), Fault: faultproxy.Answer{Status: http.StatusBadGateway, Body: "no upstream"}},
		{Match: path("/cut"), Fault: faultproxy.Truncate{Keep: 3}},
		{Match: path("/swap"), Fault: faultproxy.ReplaceBody{Body: []byte("\xffgarbage")}},
	}})

	status, body, err := get(t, c, p.URL()+"/plain")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "hello /plain", body)

	status, body, err = get(t, c, p.URL()+"/busy")
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "slow down", body)
	status, body, err = get(t, c, p.URL()+"/busy")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, "the rule applied once")
	require.Equal(t, "hello /busy", body)

	status, body, err = get(t, c, p.URL()+"/bad")
	require.NoError(t, err)
	require.Equal(t, http.StatusBadGateway, status)
	require.Equal(t, "no upstream", body)
	require.Equal(t, 1, p.Accepted(), "answers keep the connection alive")

	status, body, err = get(t, c, p.URL()+"/swap")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "\xffgarbage", body)

	status, body, err = get(t, c, p.URL()+"/cut")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "hel", body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	require.Equal(t, 4, p.Hits())
	require.Equal(t, []string{"GET /plain", "GET /busy", "GET /busy", "GET /bad", "GET /swap", "GET /cut"}, p.Requests())
}

func TestHTTPHang(t *testing.T) {
	s := startHTTP(t)
	p := faultproxy.Start(t, s.URL, faultproxy.HTTP)
	p.Set(faultproxy.Faults{Rules: []faultproxy.Rule{{Fault: faultproxy.Hang{}}}})
	c := httpClient(t)
	c.Timeout = 300 * time.Millisecond
	start := time.Now()
	_, _, err := get(t, c, p.URL()+"/never")
	require.Error(t, err)
	var ne interface{ Timeout() bool }
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "want a timeout, got %v", err)
	require.Less(t, time.Since(start), 3*time.Second)
	// The client gave up and closed its connection, and so did the proxy.
	require.Eventually(t, func() bool { return p.Open() == 0 }, 3*time.Second, 5*time.Millisecond)
	requireNoGoroutinesAfter(t, p)
}

// requireNoGoroutinesAfter closes p and checks that its goroutines ended.
func requireNoGoroutinesAfter(t *testing.T, p *faultproxy.Proxy) {
	t.Helper()
	require.NoError(t, p.Close())
	requireNoGoroutines(t)
}

func TestWebSocketFrames(t *testing.T) {
	s := startHTTP(t)
	p := faultproxy.Start(t, s.URL, faultproxy.HTTP)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+p.Addr()+"/ws", &websocket.DialOptions{HTTPClient: httpClient(t)})
	require.NoError(t, err)
	defer ws.CloseNow()

	var mu sync.Mutex
	seen := map[faultproxy.Direction][]string{}
	p.Set(faultproxy.Faults{DropFrame: func(d faultproxy.Direction, f faultproxy.Frame) bool {
		mu.Lock()
		defer mu.Unlock()
		if f.Opcode == 1 {
			seen[d] = append(seen[d], string(f.Payload))
		}
		return strings.HasPrefix(string(f.Payload), "drop")
	}})
	for _, m := range []string{"one", "drop me", "two"} {
		require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte(m)))
	}
	for _, want := range []string{"one", "two"} {
		_, data, err := ws.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(data))
	}
	mu.Lock()
	require.Equal(t, []string{"one", "drop me", "two"}, seen[faultproxy.Up], "client frames, unmasked")
	require.Equal(t, []string{"one", "two"}, seen[faultproxy.Down])
	mu.Unlock()
	require.True(t, faultproxy.IsEngineProbe(faultproxy.Up, faultproxy.Frame{Opcode: 1, Payload: []byte("2probe")}))
	require.False(t, faultproxy.IsEngineProbe(faultproxy.Up, faultproxy.Frame{Opcode: 1, Payload: []byte("2")}))
	require.GreaterOrEqual(t, len(p.Requests()), 1)
	requireNoGoroutinesAfter(t, p)
}

// TestHTTPIdleClose has the target close kept-alive connections after
// 100 ms of idleness: the proxy closes the client's side too, so a POST
// after the pause does not meet a dead connection.
func TestHTTPIdleClose(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	s.Config.IdleTimeout = 100 * time.Millisecond
	s.Start()
	t.Cleanup(s.Close)
	p := faultproxy.Start(t, s.URL, faultproxy.HTTP)
	c := httpClient(t)
	post := func() {
		resp, err := c.Post(p.URL()+"/", "text/plain", strings.NewReader("x"))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, "ok", string(body))
	}
	post()
	require.Eventually(t, func() bool { return p.Open() == 0 }, 3*time.Second, 5*time.Millisecond,
		"the target's idle close reaches the client")
	// The client's transport notices the close on its own goroutine: the
	// next POST must find the pooled connection gone, not dead.
	require.Eventually(t, func() bool { return !hasPersistConn() }, 3*time.Second, 5*time.Millisecond,
		"the client dropped the closed connection")
	post()
	require.Equal(t, 2, p.Accepted())
}

// hasPersistConn reports whether a kept-alive net/http client connection
// is live in the process.
func hasPersistConn() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "net/http.(*persistConn).readLoop")
}
