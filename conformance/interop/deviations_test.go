package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ws "github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/polling"
)

// deviationDef is a way a server departs from engine.io 6.
type deviationDef struct {
	ID, Peer, Summary string
}

// deviationList is every deviation a test checks, in report order.
var deviationList = []deviationDef{
	{"D1", "python", "with the eventlet or gevent (WSGI) server, python-engineio 4.3.4 advertises pingInterval truncated to whole seconds: a sub-second interval is sent as 0 while pings keep their real period (the aiohttp server is right)"},
	{"D2", "python", "python-engineio 4.3.4 sends no maxPayload in the handshake and answers an oversized POST with 400 (engine.io: maxPayload advertised, 413)"},
	{"D3", "python", "python-engineio refuses a POST of more than 16 packets: it logs \"Too many packets in payload\", drops every packet of that POST and still answers 200 OK"},
	{"D4", "all", "error bodies differ: engine.io and the Go server send JSON {code, message}; python-engineio a JSON string (\"Invalid session <sid>\") as text/plain with no code"},
	{"D5", "python", "after the server closes a polling session, python-engineio answers a GET that was not already waiting with 500 (the session is marked closed before its close packet is polled)"},
	{"D6", "goserver", "a socket the application closes while handling a POSTed message: the Go server answers that POST with 429 (engine.io: 200, then the close packet on the GET)"},
	{"D7", "goserver", "the Go server ends a WebSocket session it closes by dropping the TCP connection: no close packet, no close frame"},
	{"D8", "goserver", "the Go server refuses a protocol revision with code 4 (engine.io: 5), and refuses a WebSocket handshake of the wrong revision by accepting it and sending a close frame with the message instead of answering HTTP 400"},
	{"D9", "goserver", "the Go server's cookie option (SetCookie) sends the configured cookie with an empty value, not the sid (the peer sets NAME=<sid> itself unless --server-cookie)"},
	{"D10", "node6", "engine.io 6 without allowEIO3 refuses a WebSocket handshake with EIO=3 after accepting it: 101 Switching Protocols, then a raw HTTP/1.1 400 \"Unsupported protocol version\" inside the WebSocket"},
	{"D11", "node3", "engine.io 3 ignores EIO: a v4 client's WebSocket handshake succeeds (the open frame is the same), so the wrong revision shows only later, as a heartbeat mismatch"},
	{"D12", "node6, node3", "engine.io hands an empty text message (\"4\") to the application as undefined, not \"\" (the echo peer then answers binary \"undefined\"); python-engineio and the Go server give \"\""},
	{"D13", "all", "poll responses of 1 KiB or more are gzip-compressed when the request accepts it (engine.io, python-engineio, Go server)"},
	{"D14", "python", "python-engineio 4.3.4 on aiohttp reads a POST body with one read(Content-Length), which returns what has arrived so far: a body that comes in several TCP segments is cut short, the rest ignored, and the POST still answered 200 OK (large polling messages arrive truncated under load)"},
}

func deviationSummary(id string) string {
	for _, d := range deviationList {
		if d.ID == id {
			return d.Summary
		}
	}
	return "(unknown deviation " + id + ")"
}

// recordDeviation adds a deviation's result to the report.
func recordDeviation(t *testing.T, id string, outcome Outcome, bug, observed string) {
	t.Helper()
	for _, d := range deviationList {
		if d.ID == id {
			results.addDeviation(Deviation{ID: id, Peer: d.Peer, Summary: d.Summary, Observed: observed,
				Test: t.Name(), Outcome: outcome, Bug: bug})
			t.Logf("%s: %s; observed: %s", id, outcome, observed)
			return
		}
	}
	t.Fatalf("unknown deviation %s", id)
}

// Kinds of deviation check.
const (
	// onWire: the body asserts what engine.io does; its failure confirms
	// the deviation (its passing means the server changed: update the
	// list). The client cannot make up for it; matrix cells show the
	// effect.
	onWire = true
	// clientCopes: the body asserts that the client copes with the
	// deviation; a failure is a client bug (bug) or an unknown failure.
	clientCopes = false
)

// deviationCell runs body like a matrix cell (failures recorded, not
// fatal) and records the deviation's outcome (see onWire, clientCopes).
func deviationCell(t *testing.T, id string, wire bool, bug string, body func(ct *cellT)) {
	t.Helper()
	ct := execute(t, body)
	observed := strings.Join(ct.notes, "; ")
	failure := strings.Join(ct.messages, "\n")
	switch {
	case wire && ct.failed:
		recordDeviation(t, id, ServerDeviation, "", observed)
	case wire:
		recordDeviation(t, id, Fail, "", observed)
		t.Errorf("deviation %s is no longer observed: the server behaves as engine.io; update deviationList and knownFailures", id)
	case !ct.failed:
		recordDeviation(t, id, Pass, "", observed)
	case bug != "":
		recordDeviation(t, id, KnownFailure, bug, observed)
		if strict {
			t.Errorf("known client failure (INTEROP_STRICT=1): %s\n%s", bug, failure)
		} else {
			t.Logf("known client failure: %s\n%s", bug, failure)
		}
	default:
		recordDeviation(t, id, Fail, "", observed+"; "+oneLine(failure))
		t.Errorf("deviation %s: the client does not cope:\n%s", id, failure)
	}
}

// raw is a minimal v4 polling client for looking at the wire.
type raw struct {
	t    testing.TB
	base string
	sid  string
	hc   *http.Client
}

func rawHandshake(t testing.TB, p *peer.Peer) (*raw, string) {
	t.Helper()
	r := &raw{t: t, base: p.EngineURL(), hc: &http.Client{Timeout: stepTimeout, Transport: &http.Transport{DisableCompression: true}}}
	status, body, _ := r.do(http.MethodGet, "", nil)
	require.Equal(t, http.StatusOK, status, "handshake: %s", body)
	var open struct{ SID string }
	require.True(t, strings.HasPrefix(body, "0{"), "handshake body %q", body)
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(body[1:], "\x1e", 2)[0]), &open))
	r.sid = open.SID
	return r, body[1:]
}

func (r *raw) url() string {
	q := url.Values{"EIO": {"4"}, "transport": {"polling"}}
	if r.sid != "" {
		q.Set("sid", r.sid)
	}
	return r.base + "?" + q.Encode()
}

// do sends one request; header may add request headers.
func (r *raw) do(method, body string, header http.Header) (int, string, http.Header) {
	r.t.Helper()
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.url(), rd)
	require.NoError(r.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := r.hc.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	return resp.StatusCode, string(b), resp.Header
}

// deviationPeers starts, once per test binary, the peers the deviation
// tests share.
type deviationPeers struct {
	node6, node3, python, goserver *peer.Peer
}

// TestDeviations checks every deviation in deviationList. Each subtest
// names its deviation; all share one peer per kind.
func TestDeviations(t *testing.T) {
	ps := &deviationPeers{}
	starts := []struct {
		dst  **peer.Peer
		kind peer.Kind
	}{{&ps.node6, peer.Node6}, {&ps.node3, peer.Node3}, {&ps.python, peer.Python}, {&ps.goserver, peer.GoServer}}
	for _, s := range starts {
		*s.dst = peer.Start(t, s.kind, peer.Options{}) // skips or fails here
	}
	t.Run("D1-python-ping-interval-zero", ps.d1)
	t.Run("D2-python-no-max-payload", ps.d2)
	t.Run("D3-python-16-packets", ps.d3)
	t.Run("D4-error-bodies", ps.d4)
	t.Run("D5-python-500-after-close", ps.d5)
	t.Run("D6-goserver-429", ps.d6)
	t.Run("D7-goserver-websocket-close", ps.d7)
	t.Run("D8-goserver-refusals", ps.d8)
	t.Run("D9-goserver-cookie", ps.d9)
	t.Run("D10-node6-websocket-refusal", ps.d10)
	t.Run("D11-node3-accepts-v4-websocket", ps.d11)
	t.Run("D12-empty-text-message", ps.d12)
	t.Run("D13-gzip", ps.d13)
	t.Run("D14-python-short-read", ps.d14)
}

func (ps *deviationPeers) d14(t *testing.T) {
	deviationCell(t, "D14", onWire, "", func(ct *cellT) {
		r, _ := rawHandshake(ct, ps.python)
		const n = 5000
		body := "4" + strings.Repeat("y", n)
		// The body goes out in two parts; the second only once the
		// server has answered.
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPost, r.url(), pr)
		require.NoError(ct, err)
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		type answer struct {
			status int
			err    error
		}
		answered := make(chan answer, 1)
		go func() {
			resp, err := r.hc.Do(req)
			if err != nil {
				answered <- answer{err: err}
				return
			}
			resp.Body.Close()
			answered <- answer{status: resp.StatusCode}
		}()
		_, err = pw.Write([]byte(body[:1000]))
		require.NoError(ct, err)
		var a answer
		select {
		case a = <-answered:
			ct.Note("POST answered %d (%v) after 1,000 of %d bytes", a.status, a.err, len(body))
		case <-time.After(2 * time.Second):
			ct.Note("POST not answered before the rest of the body (as engine.io does)")
		}
		go func() {
			_, _ = pw.Write([]byte(body[1000:]))
			_ = pw.Close()
		}()
		if a.status == 0 && a.err == nil {
			a = <-answered
		}
		status, got, _ := r.do(http.MethodGet, "", nil)
		require.Equal(ct, http.StatusOK, status)
		ct.Note("echo: %d bytes", len(got)-1)
		require.Equal(ct, body, got, "the whole message comes back")
	})
}

func (ps *deviationPeers) d1(t *testing.T) {
	// pingInterval 800 ms, pingTimeout 300 ms on the WSGI server: the
	// handshake says 0 and 300, so any client that trusts it expects a
	// ping within 300 ms, while the first comes after 800.
	p := peer.Start(t, peer.Python, peer.Options{AsyncMode: "gevent", PingInterval: 800 * time.Millisecond, PingTimeout: 300 * time.Millisecond})
	deviationCell(t, "D1", onWire, "", func(ct *cellT) {
		_, hs := rawHandshake(ct, p)
		ct.Note("handshake %s", hs)
		c := client.New(nil)
		rec := record(c)
		ct.Cleanup(c.Abort)
		require.NoError(ct, c.Connect(ctxFor(ct, stepTimeout), p.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
		start := time.Now()
		info := rec.connected(ct, stepTimeout)
		ct.Note("the client takes pingInterval %v, pingTimeout %v", info.PingInterval, info.PingTimeout)
		select {
		case reason := <-rec.discCh:
			ct.Note("the session ends with %s after %v (engine.io semantics: no ping is due before 800 ms)", reason, time.Since(start).Round(10*time.Millisecond))
			ct.Fatalf("session ended: %s", reason)
		case <-time.After(2 * time.Second):
		}
		require.Contains(ct, hs, `"pingInterval":800`)
	})
}

func (ps *deviationPeers) d2(t *testing.T) {
	deviationCell(t, "D2", clientCopes, "", func(ct *cellT) {
		_, hs := rawHandshake(ct, ps.python)
		require.NotContains(ct, hs, "maxPayload")
		p := peer.Start(ct, peer.Python, peer.Options{MaxPayload: 1000})
		c := client.New(nil)
		rec := record(c)
		ct.Cleanup(c.Abort)
		require.NoError(ct, c.Connect(ctxFor(ct, stepTimeout), p.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
		require.Zero(ct, rec.connected(ct, stepTimeout).MaxPayload)
		require.NoError(ct, c.Send(strings.Repeat("x", 2000)), "Send cannot know the limit")
		reason := rec.disconnected(ct, stepTimeout)
		// The POST gets 400 and the server closes the session: the
		// waiting GET gets the close packet, or fails (500, D5).
		ct.Note("no maxPayload in %s; a 2,000-byte message to --max-payload 1000 ends the session: %s: %v", hs, reason, rec.disconnectErr())
		require.Contains(ct, []client.Reason{client.ReasonTransportError, client.ReasonServerDisconnect}, reason)
	})
}

// sendMany sends n numbered messages without waiting and counts the
// echoes that arrive within a bound.
func sendMany(ct *cellT, p *peer.Peer, n int) int {
	c := client.New(nil)
	rec := record(c)
	ct.Cleanup(c.Abort)
	require.NoError(ct, c.Connect(ctxFor(ct, stepTimeout), p.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
	for i := range n {
		require.NoError(ct, c.Send(fmt.Sprintf("m%d", i)))
	}
	require.NoError(ct, c.Send("cmd:stats"))
	got := 0
	for {
		select {
		case m := <-rec.msgCh:
			if strings.HasPrefix(m.Text(), "stats:") {
				return got
			}
			got++
		case <-time.After(3 * time.Second):
			return got
		}
	}
}

func (ps *deviationPeers) d3(t *testing.T) {
	const n = 40
	deviationCell(t, "D3", clientCopes, "", func(ct *cellT) {
		control := sendMany(ct, ps.node6, n)
		require.Equal(ct, n, control, "control: engine.io 6 echoes all")
		got := sendMany(ct, ps.python, n)
		ct.Note("%d messages sent at once over polling: engine.io 6 echoed %d, python-engineio %d", n, control, got)
		if strings.Contains(ps.python.Stderr(), "Too many packets in payload") {
			ct.Note("python-engineio logged \"Too many packets in payload\"")
		}
		require.Equal(ct, n, got, "python-engineio echoes every message only if no POST carries more than 16 packets")
	})
}

func (ps *deviationPeers) d4(t *testing.T) {
	deviationCell(t, "D4", clientCopes, "", func(ct *cellT) {
		for _, p := range []*peer.Peer{ps.node6, ps.node3, ps.python, ps.goserver} {
			u, err := url.Parse(p.EngineURL())
			require.NoError(ct, err)
			rev := codec.V4
			if p.Kind() == peer.Node3 {
				rev = codec.V3
			}
			ctx := ctxFor(ct, stepTimeout)
			tr, err := polling.Open(ctx, transports.Config{URL: u, Revision: rev, SID: bogusSID})
			require.NoError(ct, err)
			_, err = tr.Read(ctx)
			_ = tr.Close(ctx)
			var herr *transports.HTTPError
			require.True(ct, errors.As(err, &herr), "%s: %v", p.Kind(), err)
			ct.Note("%s unknown sid: %d %q code %d", p.Kind(), herr.Status, herr.Body, herr.Code)
			require.Equal(ct, 400, herr.Status)
			require.NotEmpty(ct, herr.Message, "%s: the server's message", p.Kind())
		}
		for _, p := range []*peer.Peer{ps.node6, ps.python, ps.goserver} {
			c := client.New(nil)
			err := c.Connect(ctxFor(ct, stepTimeout), p.URL, &client.ConnectOptions{Transports: []string{"polling"}, Revision: codec.V3})
			var herr *transports.HTTPError
			require.True(ct, errors.As(err, &herr), "%s: %v", p.Kind(), err)
			ct.Note("%s EIO=3: %d %q code %d", p.Kind(), herr.Status, herr.Body, herr.Code)
			require.NotEmpty(ct, herr.Message)
		}
	})
}

func (ps *deviationPeers) d5(t *testing.T) {
	deviationCell(t, "D5", onWire, "", func(ct *cellT) {
		r, _ := rawHandshake(ct, ps.python)
		status, body, _ := r.do(http.MethodPost, "4cmd:close", nil)
		require.Equal(ct, http.StatusOK, status, body)
		status, body, _ = r.do(http.MethodGet, "", nil)
		ct.Note("GET after cmd:close: %d %q", status, body)
		require.Equal(ct, http.StatusOK, status, "engine.io answers with the close packet")
	})
}

func (ps *deviationPeers) d6(t *testing.T) {
	deviationCell(t, "D6", onWire, "", func(ct *cellT) {
		r, _ := rawHandshake(ct, ps.goserver)
		status, body, _ := r.do(http.MethodPost, "4cmd:close", nil)
		ct.Note("POST 4cmd:close: %d %q", status, body)
		status2, body2, _ := r.do(http.MethodGet, "", nil)
		ct.Note("next GET: %d %q", status2, body2)
		require.Equal(ct, http.StatusOK, status, "engine.io answers the POST with 200")
	})
}

// wsDial opens a raw WebSocket to p's engine endpoint with query q.
func wsDial(ct *cellT, p *peer.Peer, q url.Values) (*ws.Conn, *http.Response, error) {
	u := strings.Replace(p.EngineURL(), "http://", "ws://", 1) + "?" + q.Encode()
	return ws.Dial(ctxFor(ct, stepTimeout), u, nil)
}

func (ps *deviationPeers) d7(t *testing.T) {
	deviationCell(t, "D7", onWire, "", func(ct *cellT) {
		conn, _, err := wsDial(ct, ps.goserver, url.Values{"EIO": {"4"}, "transport": {"websocket"}})
		require.NoError(ct, err)
		defer conn.CloseNow()
		ctx := ctxFor(ct, stepTimeout)
		_, open, err := conn.Read(ctx)
		require.NoError(ct, err)
		require.True(ct, strings.HasPrefix(string(open), "0{"))
		require.NoError(ct, conn.Write(ctx, ws.MessageText, []byte("4cmd:close")))
		var frames []string
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				ct.Note("after cmd:close: frames %q, then %v (close status %d)", frames, err, ws.CloseStatus(err))
				require.NotEqual(ct, ws.StatusCode(-1), ws.CloseStatus(err), "engine.io sends a close frame")
				return
			}
			frames = append(frames, string(data))
		}
	})
}

func (ps *deviationPeers) d8(t *testing.T) {
	deviationCell(t, "D8", onWire, "", func(ct *cellT) {
		r := &raw{t: ct, base: ps.goserver.EngineURL(), hc: &http.Client{Timeout: stepTimeout}}
		req, err := http.NewRequest(http.MethodGet, r.base+"?EIO=3&transport=polling", nil)
		require.NoError(ct, err)
		resp, err := r.hc.Do(req)
		require.NoError(ct, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ct.Note("EIO=3 polling: %d %s", resp.StatusCode, body)

		conn, hresp, err := wsDial(ct, ps.goserver, url.Values{"EIO": {"3"}, "transport": {"websocket"}})
		if err == nil {
			defer conn.CloseNow()
			_, _, rerr := conn.Read(ctxFor(ct, stepTimeout))
			var ce ws.CloseError
			errors.As(rerr, &ce)
			ct.Note("WebSocket with EIO=3: accepted (HTTP %d), then close frame %d %q", hresp.StatusCode, ce.Code, ce.Reason)
		} else {
			ct.Note("WebSocket with EIO=3: %v", err)
		}
		require.Contains(ct, string(body), `"code":5`, "engine.io's code for an unsupported protocol version")
		require.Error(ct, err, "engine.io refuses the dial with HTTP 400")
	})
}

func (ps *deviationPeers) d9(t *testing.T) {
	p := peer.Start(t, peer.GoServer, peer.Options{Cookie: "sticky", ExtraArgs: []string{"--server-cookie"}})
	deviationCell(t, "D9", onWire, "", func(ct *cellT) {
		r := &raw{t: ct, base: p.EngineURL(), hc: &http.Client{Timeout: stepTimeout}}
		_, _, h := r.do(http.MethodGet, "", nil)
		ct.Note("Set-Cookie with the server's option: %q", h.Values("Set-Cookie"))
		require.Contains(ct, strings.Join(h.Values("Set-Cookie"), "\n"), "sticky=", "a cookie is set")
		require.NotContains(ct, strings.Join(h.Values("Set-Cookie"), "\n"), "sticky=;", "engine.io's cookie value is the sid")
	})
}

func (ps *deviationPeers) d10(t *testing.T) {
	deviationCell(t, "D10", onWire, "", func(ct *cellT) {
		_, hresp, err := wsDial(ct, ps.node6, url.Values{"EIO": {"3"}, "transport": {"websocket"}})
		if hresp != nil {
			ct.Note("dial: HTTP %d, %v", hresp.StatusCode, err)
		}
		c := client.New(nil)
		cerr := c.Connect(ctxFor(ct, stepTimeout), ps.node6.URL, &client.ConnectOptions{Transports: []string{"websocket"}, Revision: codec.V3})
		ct.Note("client: %v", cerr)
		require.ErrorIs(ct, cerr, client.ErrConnect)
		var herr *transports.HTTPError
		require.True(ct, errors.As(cerr, &herr), "engine.io's HTTP 400 would reach the client as an HTTPError")
	})
}

func (ps *deviationPeers) d11(t *testing.T) {
	deviationCell(t, "D11", onWire, "", func(ct *cellT) {
		c := client.New(nil)
		ct.Cleanup(c.Abort)
		err := c.Connect(ctxFor(ct, stepTimeout), ps.node3.URL, &client.ConnectOptions{Transports: []string{"websocket"}, Revision: codec.V4})
		ct.Note("v4 client over websocket to engine.io 3: connect error %v", err)
		require.Error(ct, err, "a server that checks EIO refuses a v4 client")
	})
}

func (ps *deviationPeers) d12(t *testing.T) {
	deviationCell(t, "D12", clientCopes, "", func(ct *cellT) {
		for _, p := range []*peer.Peer{ps.node6, ps.node3, ps.python, ps.goserver} {
			rev := codec.V4
			if p.Kind() == peer.Node3 {
				rev = codec.V3
			}
			c := client.New(nil)
			rec := record(c)
			ct.Cleanup(c.Abort)
			require.NoError(ct, c.Connect(ctxFor(ct, stepTimeout), p.URL, &client.ConnectOptions{Transports: []string{"websocket"}, Revision: rev}))
			require.NoError(ct, c.Send(""))
			m := rec.next(ct, stepTimeout)
			ct.Note("%s echoes \"\" as binary=%v %q", p.Kind(), m.Binary, m.Data)
			if p.Kind() == peer.Python || p.Kind() == peer.GoServer {
				require.Equal(ct, client.Message{Data: []byte{}}, client.Message{Data: []byte(m.Text()), Binary: m.Binary},
					"a server that hands \"\" to the application echoes an empty text message")
			}
		}
	})
}

func (ps *deviationPeers) d13(t *testing.T) {
	deviationCell(t, "D13", clientCopes, "", func(ct *cellT) {
		for _, p := range []*peer.Peer{ps.node6, ps.python, ps.goserver} {
			// On the wire.
			r, _ := rawHandshake(ct, p)
			status, _, _ := r.do(http.MethodPost, "4cmd:large:5000", nil)
			require.Equal(ct, http.StatusOK, status)
			status, body, h := r.do(http.MethodGet, "", http.Header{"Accept-Encoding": {"gzip"}})
			require.Equal(ct, http.StatusOK, status)
			ct.Note("%s: 5,000-byte poll answer Content-Encoding %q, %d bytes", p.Kind(), h.Get("Content-Encoding"), len(body))

			// The client with net/http's transparent decompression.
			got := largeOverPolling(ct, p, nil)
			require.Equal(ct, 5000, got, "%s: default client", p.Kind())
		}
		for _, p := range []*peer.Peer{ps.node6, ps.python, ps.goserver} {
			// A user header Accept-Encoding turns net/http's decompression
			// off; the transport must then decode the body itself.
			got := largeOverPolling(ct, p, http.Header{"Accept-Encoding": {"gzip"}})
			require.Equal(ct, 5000, got, "%s: client with Header Accept-Encoding: gzip", p.Kind())
		}
	})
}

// largeOverPolling asks p for a 5,000-byte message over polling and
// returns the length that arrived (-1 when the session ended).
func largeOverPolling(ct *cellT, p *peer.Peer, header http.Header) int {
	c := client.New(nil)
	rec := record(c)
	ct.Cleanup(c.Abort)
	require.NoError(ct, c.Connect(ctxFor(ct, stepTimeout), p.URL, &client.ConnectOptions{Transports: []string{"polling"}, Header: header}))
	require.NoError(ct, c.Send("cmd:large:5000"))
	select {
	case m := <-rec.msgCh:
		return len(m.Data)
	case reason := <-rec.discCh:
		ct.Note("%s with header %v: session ended: %s: %v", p.Kind(), header, reason, rec.disconnectErr())
		return -1
	case <-time.After(stepTimeout):
		return 0
	}
}
