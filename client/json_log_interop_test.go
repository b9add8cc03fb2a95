package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// htmlJSON is a JSONCodec that does not escape HTML characters and counts
// its calls.
type htmlJSON struct{ marshals, unmarshals atomic.Int32 }

func (j *htmlJSON) Marshal(v any) ([]byte, error) {
	j.marshals.Add(1)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (j *htmlJSON) Unmarshal(data []byte, v any) error {
	j.unmarshals.Add(1)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// TestNodeCustomJSON sends and decodes through Options.JSON.
func TestNodeCustomJSON(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	j := &htmlJSON{}
	c := client.New(&client.Options{JSON: j})
	rec := record(c)
	connectMode(t, c, rec, p.URL, "websocket", nil)
	require.NoError(t, c.Send(map[string]any{"html": "<b>", "n": 12345678901234567}))
	m := rec.next(t, 5*time.Second)
	require.Equal(t, `{"html":"<b>","n":12345678901234567}`, m.Text(), "encoding/json would have escaped <b>")
	var back map[string]any
	require.NoError(t, c.DecodeJSON(m, &back))
	require.Equal(t, json.Number("12345678901234567"), back["n"], "the codec's UseNumber kept the precision")
	require.Equal(t, int32(1), j.marshals.Load())
	require.Equal(t, int32(1), j.unmarshals.Load())
	require.Error(t, c.DecodeJSON(client.Message{Data: []byte("not json")}, &back))
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
}

// TestNodeLoggingKeepsSecrets logs at Debug a session that sends an
// Authorization header, a cookie from the jar and a Cookie header, upgrades
// and exchanges messages: the log has state changes and packets but none
// of those values. A client without a Logger writes nothing, not even to
// the default logger.
func TestNodeLoggingKeepsSecrets(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{Cookie: "io", PingInterval: 100 * time.Millisecond})
	const token, jarCookie, headerCookie = "Bearer tok-SECRET-1", "jar-SECRET-2", "hdr-SECRET-3"
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	f := startFront(t, p.URL)
	u, err := url.Parse(f.URL)
	require.NoError(t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: "auth", Value: jarCookie}})
	c := client.New(&client.Options{Logger: logger, HTTPClient: &http.Client{Jar: jar}})
	rec := record(c)
	connectMode(t, c, rec, f.URL, "upgrade", &client.ConnectOptions{Header: http.Header{
		"Authorization": {token},
		"Cookie":        {"manual=" + headerCookie},
	}})
	require.NoError(t, c.Send("hello"))
	require.Equal(t, "hello", rec.next(t, 5*time.Second).Text())
	require.Eventually(t, func() bool { return rec.pingCount() >= 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	reqs := f.requests()
	require.NotEmpty(t, reqs)
	for _, r := range reqs {
		require.Equal(t, token, r.Header.Get("Authorization"), "the header was sent")
		require.Contains(t, r.Header.Get("Cookie"), headerCookie)
		require.Contains(t, r.Header.Get("Cookie"), jarCookie, "the jar's cookie was sent")
	}

	out := logs.String()
	require.Contains(t, out, "level=INFO msg=\"eio: state\"")
	require.Contains(t, out, "level=DEBUG msg=\"eio: packet out\"")
	require.Contains(t, out, "level=DEBUG msg=\"eio: packet in\"")
	require.Contains(t, out, "transport=websocket")
	for _, secret := range []string{"SECRET", "tok-", "Bearer"} {
		require.NotContains(t, out, secret)
	}

	// Silent by default: nothing reaches the default loggers either.
	var global syncBuffer
	oldSlog, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(slog.New(slog.NewTextHandler(&global, &slog.HandlerOptions{Level: slog.LevelDebug})))
	restore := func() {
		slog.SetDefault(oldSlog)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	}
	defer restore()
	quiet := client.New(&client.Options{InsecureSkipVerify: true})
	qrec := record(quiet)
	connectMode(t, quiet, qrec, p.URL, "upgrade", nil)
	require.NoError(t, quiet.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, quiet.Wait(testCtx(t, 5*time.Second)))
	restore()
	require.Empty(t, strings.TrimSpace(global.String()))
}

// TestHTTPClientWarnings logs a warning for an injected client whose
// Timeout would cut long polls, and for TLS options that cannot be applied
// to a transport that is not an *http.Transport.
func TestHTTPClientWarnings(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	client.New(&client.Options{Logger: logger, HTTPClient: &http.Client{Timeout: time.Second}})
	require.Contains(t, logs.String(), "level=WARN")
	require.Contains(t, logs.String(), "Timeout")

	logs = syncBuffer{}
	custom := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return http.DefaultTransport.RoundTrip(r)
	})}
	client.New(&client.Options{Logger: logger, HTTPClient: custom, InsecureSkipVerify: true})
	require.Contains(t, logs.String(), "not applied")
	require.Contains(t, logs.String(), "InsecureSkipVerify")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// viewingHandler is a slog handler that reads the client's state on every
// record, as a handler adding context to its lines would.
type viewingHandler struct {
	c     atomic.Pointer[client.Client]
	lines atomic.Int32
	seen  syncBuffer
}

func (h *viewingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *viewingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *viewingHandler) WithGroup(string) slog.Handler            { return h }
func (h *viewingHandler) Handle(_ context.Context, r slog.Record) error {
	if c := h.c.Load(); c != nil {
		reason, _ := c.Reason()
		fmt.Fprintf(&h.seen, "%s state=%s transport=%s sid=%t reason=%q\n", r.Message, c.State(), c.Transport(), c.SID() != "", reason)
	}
	h.lines.Add(1)
	return nil
}

// TestNodeLoggerReadsClient has a Logger that calls State, Transport, SID
// and Reason for each line it gets, through a connection, an upgrade,
// messages and a disconnect: the client logs while it handles an input,
// and what those methods read is not held by that handling.
func TestNodeLoggerReadsClient(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 100 * time.Millisecond})
	h := &viewingHandler{}
	c := client.New(&client.Options{Logger: slog.New(h)})
	h.c.Store(c)
	rec := record(c)
	connectMode(t, c, rec, p.URL, "upgrade", nil)
	for i := range 20 {
		require.NoError(t, c.Send(fmt.Sprint(i)))
	}
	for i := range 20 {
		require.Equal(t, fmt.Sprint(i), rec.next(t, 5*time.Second).Text())
	}
	require.Eventually(t, func() bool { return rec.pingCount() >= 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	out := h.seen.String()
	require.Greater(t, h.lines.Load(), int32(40), "packets were logged")
	require.Contains(t, out, "eio: upgraded state=open transport=websocket sid=true")
	require.Contains(t, out, `eio: disconnected state=disconnected transport= sid=true reason="client disconnect"`)
}
