package client_test

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports/polling"
)

// redirector answers every request with a redirect of code to the same
// path and query on target, recording the headers it was sent.
type redirector struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func startRedirector(t *testing.T, code int, target string) *redirector {
	rd := &redirector{}
	rd.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rd.mu.Lock()
		rd.headers = append(rd.headers, r.Header.Clone())
		rd.mu.Unlock()
		http.Redirect(w, r, target+r.URL.RequestURI(), code)
	}))
	t.Cleanup(rd.Close)
	return rd
}

// TestHostileRedirect redirects the handshake to a second server on
// another port: the client refuses to follow (ErrRedirect, no request
// reaches the second server) with its own HTTP client, over both
// transports; it follows a redirect on the same host; and an injected
// client's own CheckRedirect is kept.
func TestHostileRedirect(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		for _, tr := range []string{"polling", "websocket"} {
			t.Run(http.StatusText(code)+" "+tr, func(t *testing.T) {
				other := startPolling(t, openWith(hostileOpen), nil)
				rd := startRedirector(t, code, other.URL)
				c := client.New(nil)
				err := c.Connect(testCtx(t, 5*time.Second), rd.URL, &client.ConnectOptions{Transports: []string{tr}})
				require.ErrorIs(t, err, client.ErrConnect)
				require.ErrorIs(t, err, client.ErrRedirect)
				t.Logf("Connect: %v", err)
				require.Zero(t, other.requests.Load(), "the other host was not asked")
				requireNoGoroutines(t)
			})
		}
	}

	t.Run("WebSocketDialOptions.HTTPClient", func(t *testing.T) {
		other := startPolling(t, openWith(hostileOpen), nil)
		rd := startRedirector(t, http.StatusFound, other.URL)
		c := client.New(&client.Options{WebSocketDialOptions: &ws.DialOptions{HTTPClient: &http.Client{}}})
		err := c.Connect(testCtx(t, 5*time.Second), rd.URL, &client.ConnectOptions{Transports: []string{"websocket"}})
		require.ErrorIs(t, err, client.ErrRedirect)
		require.Zero(t, other.requests.Load())
		requireNoGoroutines(t)
	})

	t.Run("same host", func(t *testing.T) {
		f := startPolling(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/engine.io/" {
				http.Redirect(w, r, "/moved/?"+r.URL.RawQuery, http.StatusFound)
				return
			}
			openWith(hostileOpen)(w, r)
		}, nil)
		c := client.New(nil)
		rec := record(c)
		require.NoError(t, c.Connect(testCtx(t, 5*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
		require.NoError(t, c.SendText("here"))
		require.Equal(t, "here", rec.next(t, 5*time.Second).Text())
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		requireNoGoroutines(t)
	})

	t.Run("injected CheckRedirect", func(t *testing.T) {
		other := startPolling(t, openWith(hostileOpen), nil)
		rd := startRedirector(t, http.StatusTemporaryRedirect, other.URL)
		follow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		c := client.New(&client.Options{HTTPClient: follow})
		rec := record(c)
		require.NoError(t, c.Connect(testCtx(t, 5*time.Second), rd.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
		require.NoError(t, c.SendText("there"))
		require.Equal(t, "there", rec.next(t, 5*time.Second).Text())
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		require.NotZero(t, other.requests.Load())
		requireNoGoroutines(t)
	})
}

// TestURLSchemes checks that Connect takes http, https, ws and wss URLs
// only: anything else fails with ErrInvalidURL before any request, and
// the four schemes (in any case) go on to connect.
func TestURLSchemes(t *testing.T) {
	c := client.New(nil)
	for _, raw := range []string{"", " ", "ftp://127.0.0.1/", "file:///etc/passwd", "file://127.0.0.1/x",
		"/engine.io/", "relative/path", "127.0.0.1:3000", "javascript:alert(1)", "mailto:a@127.0.0.1",
		"gopher://127.0.0.1/", "ws://", "https:///path", "http:127.0.0.1"} {
		err := c.Connect(testCtx(t, 5*time.Second), raw, nil)
		require.ErrorIs(t, err, client.ErrInvalidURL, "%q", raw)
		require.NotErrorIs(t, err, client.ErrConnect, "%q", raw)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	for _, scheme := range []string{"http", "https", "ws", "wss", "HTTP", "Wss"} {
		err := c.Connect(testCtx(t, 5*time.Second), scheme+"://"+closed, &client.ConnectOptions{Transports: []string{"polling"}})
		require.ErrorIs(t, err, client.ErrConnect, scheme)
		require.NotErrorIs(t, err, client.ErrInvalidURL, scheme)
	}
	requireNoGoroutines(t)
}

// TestHostileLogKeepsSecrets logs at Debug level sessions that end
// badly — a refused redirect, an oversized payload, an HTTP refusal — and
// one that works, with a secret Authorization header, a custom header, a
// Cookie header and a cookie from the jar: every server got them, and no
// log line holds any of them. (TestNodeLoggingKeepsSecrets does the same
// through an upgrade against the Node peer.)
func TestHostileLogKeepsSecrets(t *testing.T) {
	const auth, apiKey, hdrCookie, jarCookie = "Bearer tok-SECRET-1", "key-SECRET-2", "hdr-SECRET-3", "jar-SECRET-4"
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var mu sync.Mutex
	var seenHeaders []http.Header
	saw := func(r *http.Request) {
		mu.Lock()
		seenHeaders = append(seenHeaders, r.Header.Clone())
		mu.Unlock()
	}

	other := startPolling(t, openWith(hostileOpen), nil)
	redirect := startRedirector(t, http.StatusFound, other.URL)
	oversized := startPolling(t, func(w http.ResponseWriter, r *http.Request) { saw(r); openWith(hostileOpen)(w, r) },
		func(w http.ResponseWriter, r *http.Request) {
			saw(r)
			streamBody("4", polling.DefaultReadLimit+1024)(w, r)
		})
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw(r)
		http.Error(w, `{"code":4,"message":"Forbidden"}`, http.StatusForbidden)
	}))
	t.Cleanup(refusing.Close)
	echo := startPolling(t, func(w http.ResponseWriter, r *http.Request) { saw(r); openWith(hostileOpen)(w, r) }, nil)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	for _, s := range []string{redirect.URL, oversized.URL, refusing.URL, echo.URL} {
		u, err := url.Parse(s)
		require.NoError(t, err)
		jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: jarCookie}})
	}
	c := client.New(&client.Options{Logger: logger, HTTPClient: &http.Client{Jar: jar},
		Header: http.Header{"Authorization": {auth}, "X-Api-Key": {apiKey}}})
	rec := record(c)
	opts := &client.ConnectOptions{Transports: []string{"polling"}, Header: http.Header{"Cookie": {"manual=" + hdrCookie}}}

	require.ErrorIs(t, c.Connect(testCtx(t, 5*time.Second), redirect.URL, opts), client.ErrRedirect)
	require.ErrorIs(t, c.Connect(testCtx(t, 5*time.Second), refusing.URL, opts), client.ErrConnect)
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), oversized.URL, opts))
	require.Equal(t, client.ReasonProtocolError, rec.disconnected(t, 5*time.Second))
	_, derr := c.Reason()
	require.ErrorIs(t, derr, codec.ErrTooLarge)
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), echo.URL, opts))
	require.NoError(t, c.SendText("hello"))
	require.Equal(t, "hello", rec.next(t, 5*time.Second).Text())
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, seenHeaders)
	redirect.mu.Lock()
	seenHeaders = append(seenHeaders, redirect.headers...)
	redirect.mu.Unlock()
	for _, h := range seenHeaders {
		require.Equal(t, auth, h.Get("Authorization"), "the secrets were sent")
		require.Equal(t, apiKey, h.Get("X-Api-Key"))
		require.Contains(t, h.Get("Cookie"), hdrCookie)
		require.Contains(t, h.Get("Cookie"), jarCookie)
	}
	out := logs.String()
	for _, want := range []string{"level=DEBUG", "eio: packet in", "eio: disconnected", "reason=\"protocol error\"", "payload too large"} {
		require.Contains(t, out, want)
	}
	for _, secret := range []string{"SECRET", "tok-", "Bearer", "key-", "manual=", "session="} {
		require.NotContains(t, out, secret)
	}
	requireNoGoroutines(t)
}

// TestTLSVerification connects to an https server whose certificate no
// system root signs: the default client refuses it over both transports;
// turning verification off works, however it is done, and always logs a
// warning naming the option; a client that verifies logs none.
func TestTLSVerification(t *testing.T) {
	f := startPollingTLS(t, openWith(hostileOpen), nil)
	for _, tr := range []string{"polling", "websocket"} {
		err := client.New(nil).Connect(testCtx(t, 5*time.Second), f.URL, &client.ConnectOptions{Transports: []string{tr}})
		require.ErrorIs(t, err, client.ErrConnect)
		var ua x509.UnknownAuthorityError
		require.ErrorAs(t, err, &ua, "%s: %v", tr, err)
	}

	insecureTransport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	for _, tc := range []struct {
		where string
		opts  client.Options
	}{
		{"Options.InsecureSkipVerify", client.Options{InsecureSkipVerify: true}},
		{"Options.TLSConfig", client.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}},
		{"Options.HTTPClient", client.Options{HTTPClient: &http.Client{Transport: insecureTransport}}},
	} {
		var logs syncBuffer
		tc.opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c := client.New(&tc.opts)
		require.NoError(t, c.Connect(testCtx(t, 5*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}), tc.where)
		require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		require.Contains(t, logs.String(), "level=WARN", tc.where)
		require.Contains(t, logs.String(), "InsecureSkipVerify", tc.where)
		require.Contains(t, logs.String(), "set_in="+tc.where)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client.New(&client.Options{Logger: logger, WebSocketDialOptions: &ws.DialOptions{HTTPClient: &http.Client{Transport: insecureTransport}}})
	require.Contains(t, logs.String(), "set_in=Options.WebSocketDialOptions.HTTPClient")

	logs = syncBuffer{}
	roots := x509.NewCertPool()
	roots.AddCert(f.Certificate())
	c := client.New(&client.Options{Logger: logger, TLSConfig: &tls.Config{RootCAs: roots}})
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.Empty(t, logs.String(), "verification on: no warning")
	requireNoGoroutines(t)
}

// TestURLPasswordNotPrinted connects with a password in the URL (sent as
// basic authentication, so a header value) to a server that refuses it:
// neither Connect's error nor the log of a reconnecting client prints
// the password.
func TestURLPasswordNotPrinted(t *testing.T) {
	const password = "pw-SECRET-5"
	var mu sync.Mutex
	var got []string
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); ok {
			mu.Lock()
			got = append(got, pw)
			mu.Unlock()
		}
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	t.Cleanup(refusing.Close)
	raw := "http://user:" + password + "@" + refusing.Listener.Addr().String()

	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := client.New(&client.Options{Logger: logger})
	err := c.Connect(testCtx(t, 5*time.Second), raw, &client.ConnectOptions{Transports: []string{"polling"}})
	require.ErrorIs(t, err, client.ErrConnect)
	require.NotContains(t, err.Error(), password)
	require.Contains(t, err.Error(), "user:xxxxx@")
	mu.Lock()
	require.Equal(t, []string{password}, got, "the password was sent")
	mu.Unlock()

	// A session that the server closes, then a reconnection it refuses:
	// the failed attempt is logged with its error.
	var opened atomic.Bool
	f := startPolling(t, func(w http.ResponseWriter, r *http.Request) {
		if _, pw, _ := r.BasicAuth(); pw != password || opened.Swap(true) {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		openWith(hostileOpen)(w, r)
	}, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("1")) })
	c = client.New(&client.Options{Logger: logger, Reconnect: &client.ReconnectPolicy{MaxAttempts: 1, Initial: time.Millisecond}})
	failed := make(chan error, 1)
	c.OnReconnectFailed(func(_ int, err error) { failed <- err })
	raw = "http://user:" + password + "@" + f.Listener.Addr().String()
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), raw, &client.ConnectOptions{Transports: []string{"polling"}}))
	select {
	case err := <-failed:
		require.ErrorIs(t, err, client.ErrConnect)
		require.NotContains(t, err.Error(), password)
	case <-time.After(5 * time.Second):
		t.Fatal("no failed reconnection")
	}
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	require.Contains(t, logs.String(), "reconnection attempt failed")
	require.NotContains(t, logs.String(), password)
	requireNoGoroutines(t)
}
