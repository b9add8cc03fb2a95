package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/peer"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/polling"
	"github.com/eio-go/eio/transports/websocket"
)

// bodies maps the sequential scenarios to their cell bodies.
func (e *env) bodies() map[string]func(ct *cellT, mode string) {
	return map[string]func(ct *cellT, mode string){
		"connect":            e.connect,
		"text-echo":          e.textEcho,
		"binary-echo":        e.binaryEcho,
		"burst-1000":         e.burst,
		"max-payload":        e.maxPayload,
		"over-max-payload":   e.overMaxPayload,
		"server-close":       e.serverClose,
		"client-close":       e.clientClose,
		"heartbeat":          e.heartbeat,
		"unknown-sid":        e.unknownSID,
		"wrong-revision":     e.wrongRevision,
		"path-headers-query": e.pathHeadersQuery,
		"path-no-slash":      e.pathNoSlash,
		"upgrade-under-load": e.upgradeUnderLoad,
	}
}

func (e *env) connect(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	require.NotEmpty(ct, c.SID())
	info := rec.connectInfo()
	require.Equal(ct, c.SID(), info.SID)
	require.Equal(ct, transportsOf(mode)[0], info.Transport)
	want := mode
	if mode == "upgrade" {
		want = "websocket"
		require.Contains(ct, info.Upgrades, "websocket")
	}
	require.Equal(ct, want, c.Transport())
	ct.Note("handshake: pingInterval %v, pingTimeout %v, maxPayload %d, upgrades %v",
		info.PingInterval, info.PingTimeout, info.MaxPayload, info.Upgrades)
}

func (e *env) textEcho(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	// The empty message is D12's (engine.io hands it to the application
	// as undefined).
	msgs := []string{"hello", "héllo wörld €", "emoji 😀 and more", "4 looks like a packet", "b not base64", `{"json":"as text"}`}
	for _, m := range msgs {
		require.NoError(ct, c.Send(m))
	}
	for _, want := range msgs {
		got := rec.next(ct, stepTimeout)
		require.False(ct, got.Binary, "text %q came back as binary", want)
		require.Equal(ct, want, got.Text())
	}
}

func (e *env) binaryEcho(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	payloads := [][]byte{{0, 1, 2, 255}, {4}, []byte("binary that looks like text")}
	for _, b := range payloads {
		require.NoError(ct, c.Send(b))
	}
	for _, want := range payloads {
		require.Equal(ct, client.Message{Data: want, Binary: true}, rec.next(ct, stepTimeout))
	}
	require.NoError(ct, c.Send("cmd:binary:300"))
	want := make([]byte, 300)
	for i := range want {
		want[i] = byte(i)
	}
	require.Equal(ct, client.Message{Data: want, Binary: true}, rec.next(ct, stepTimeout))
}

func (e *env) burst(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	require.NoError(ct, c.Send("cmd:burst:1000"))
	for i := range 1000 {
		m := rec.next(ct, stepTimeout)
		require.Equal(ct, "burst:"+strconv.Itoa(i), m.Text(), "message %d", i)
	}
}

// largestText returns the length of the largest text message the main
// peer accepts in mode: the whole POST or frame may be maxPayload bytes.
func (e *env) largestText(mode string) int {
	n := maxPayload - 1 // the type character
	if e.tg.rev == codec.V3 && mode == "polling" {
		// "<len>:4<data>", len counting the type character too.
		for n > 0 && len(strconv.Itoa(n+1))+2+n > maxPayload {
			n--
		}
	}
	return n
}

func (e *env) maxPayload(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	n := e.largestText(mode)
	msg := strings.Repeat("y", n)
	require.NoError(ct, c.Send(msg))
	got := rec.next(ct, stepTimeout)
	require.Equal(ct, len(msg), len(got.Data), "echo length")
	require.Equal(ct, msg, got.Text())
	ct.Note("%d bytes of text", n)
}

func (e *env) overMaxPayload(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	advertised := rec.connectInfo().MaxPayload
	err := c.Send(strings.Repeat("z", maxPayload))
	if advertised > 0 {
		require.ErrorIs(ct, err, client.ErrMessageTooLarge, "the handshake gave maxPayload %d", advertised)
		ct.Note("refused by Send: %v", err)
		// The session is unharmed.
		require.NoError(ct, c.Send("after"))
		require.Equal(ct, "after", rec.next(ct, stepTimeout).Text())
		return
	}
	require.NoError(ct, err, "the server gave no maxPayload, so Send cannot know")
	reason := rec.disconnected(ct, stepTimeout)
	require.Contains(ct, []client.Reason{client.ReasonTransportError, client.ReasonServerDisconnect}, reason)
	ct.Note("no maxPayload in the handshake; the session ended: %s: %v", reason, rec.disconnectErr())
}

func (e *env) serverClose(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	sid := c.SID()
	require.NoError(ct, c.Send("cmd:close"))
	reason := rec.disconnected(ct, stepTimeout)
	if cs, err := e.main.WaitClosed(ctxFor(ct, stepTimeout), sid); err == nil {
		ct.Note("server logged %q", cs.Reason)
	}
	require.Equal(ct, client.ReasonServerDisconnect, reason, "disconnect error: %v", rec.disconnectErr())
	r, err := c.Reason()
	require.Equal(ct, client.ReasonServerDisconnect, r)
	require.NoError(ct, err)
}

func (e *env) clientClose(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.main, mode, nil)
	sid := c.SID()
	// One round trip first, so the close is not the session's first write.
	require.NoError(ct, c.Send("ping-pong"))
	require.Equal(ct, "ping-pong", rec.next(ct, stepTimeout).Text())
	require.NoError(ct, c.Disconnect(ctxFor(ct, stepTimeout)))
	require.Equal(ct, client.ReasonClientDisconnect, rec.disconnected(ct, stepTimeout))
	cs, err := e.main.WaitClosed(ctxFor(ct, stepTimeout), sid)
	require.NoError(ct, err)
	ct.Note("server logged %q over %s", cs.Reason, cs.Transport)
	require.Equal(ct, peer.ReasonTransportClose, cs.Reason, "the server must see a clean close")
}

func (e *env) heartbeat(ct *cellT, mode string) {
	c, rec := e.dial(ct, e.aux, mode, nil)
	start := rec.pingCount()
	deadline := time.Now().Add(stepTimeout)
	for rec.pingCount()-start < 4 {
		select {
		case reason := <-rec.discCh:
			ct.Fatalf("session ended during the heartbeat: %s: %v", reason, rec.disconnectErr())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ct.Fatalf("%d heartbeats in %v, want 4", rec.pingCount()-start, stepTimeout)
		}
	}
	require.Equal(ct, client.State("open"), c.State())
	ct.Note("interval %v in the handshake", rec.connectInfo().PingInterval)
}

// pingTimeout is a group body: the aux peer is frozen once every mode's
// session has seen two heartbeats.
func (e *env) pingTimeout(ct *cellT, mode string, armed func(), acted func() time.Time) {
	_, rec := e.dial(ct, e.aux, mode, nil)
	require.Eventually(ct, func() bool { return rec.pingCount() >= 2 }, stepTimeout, 10*time.Millisecond, "two heartbeats before the freeze")
	armed()
	frozen := acted()
	reason := rec.disconnected(ct, auxInterval+auxTimeout+pingTimeMagin+stepTimeout)
	elapsed := time.Since(frozen)
	ct.Note("%s after %v: %v", reason, elapsed.Round(10*time.Millisecond), rec.disconnectErr())
	require.Equal(ct, client.ReasonPingTimeout, reason)
	require.LessOrEqual(ct, elapsed, auxInterval+auxTimeout+pingTimeMagin)
}

// serverRestart is a group body: the aux peer is killed and restarted once
// every mode's session is open.
func (e *env) serverRestart(ct *cellT, mode string, armed func(), acted func() time.Time) {
	c, rec := e.dial(ct, e.aux, mode, nil)
	require.NoError(ct, c.Send("before"))
	require.Equal(ct, "before", rec.next(ct, stepTimeout).Text())
	armed()
	acted()
	reason := rec.disconnected(ct, stepTimeout)
	ct.Note("%s: %v", reason, rec.disconnectErr())
	require.Equal(ct, client.ReasonTransportError, reason)
	require.Error(ct, rec.disconnectErr())
}

// bogusSID is well-formed for every server (the Go server refuses
// malformed ids with a different error) but belongs to no session.
const bogusSID = "AAAAAAAAAAAAAAAAAAAA"

func (e *env) unknownSID(ct *cellT, mode string) {
	u, err := url.Parse(e.main.EngineURL())
	require.NoError(ct, err)
	cfg := transports.Config{URL: u, Revision: e.tg.rev, SID: bogusSID, TimestampParam: "t"}
	ctx := ctxFor(ct, stepTimeout)
	var herr *transports.HTTPError
	switch mode {
	case "polling":
		tr, err := polling.Open(ctx, cfg)
		require.NoError(ct, err)
		defer tr.Close(ctx)
		_, err = tr.Read(ctx)
		require.Error(ct, err)
		ct.Note("%v", err)
		require.True(ct, errors.As(err, &herr), "want a *transports.HTTPError, got %T: %v", err, err)
	case "websocket":
		tr, err := websocket.Open(ctx, cfg)
		if err == nil {
			// The server accepted the WebSocket; it must then refuse the
			// session on it.
			defer tr.Close(ctx)
			_, rerr := tr.Read(ctx)
			ct.Note("dial accepted; first read: %v", rerr)
			ct.Fatalf("the WebSocket dial with an unknown sid succeeded (first read: %v); want an HTTP error", rerr)
		}
		ct.Note("%v", err)
		require.True(ct, errors.As(err, &herr), "want a *transports.HTTPError, got %T: %v", err, err)
	}
	require.Equal(ct, 400, herr.Status)
	require.NotEmpty(ct, herr.Message, "the server's message")
}

func (e *env) wrongRevision(ct *cellT, mode string) {
	wrong := codec.V3
	if e.tg.rev == codec.V3 {
		wrong = codec.V4
	}
	c := client.New(nil)
	ct.Cleanup(c.Abort)
	err := c.Connect(ctxFor(ct, stepTimeout), e.main.URL, &client.ConnectOptions{Transports: transportsOf(mode), Revision: wrong})
	if err == nil && e.tg.kind == peer.Node3 {
		ct.Skip("D11: engine.io 3 ignores EIO and the open frame of a WebSocket handshake is the same in both revisions, so a v4 client connects; the mismatch shows only later, in the heartbeat")
	}
	require.Error(ct, err, "a v%d server accepted a v%d client", int(e.tg.rev), int(wrong))
	require.ErrorIs(ct, err, client.ErrConnect)
	require.False(ct, errors.Is(err, context.DeadlineExceeded), "a refusal, not a timeout: %v", err)
	var herr *transports.HTTPError
	var cerr *codec.Error
	var perr *fsm.ProtocolError
	switch {
	case errors.As(err, &herr):
		ct.Note("v%d refused: HTTP %d %q (code %d)", int(wrong), herr.Status, herr.Message, herr.Code)
		require.Equal(ct, 400, herr.Status)
		require.NotEmpty(ct, herr.Message)
	case errors.As(err, &cerr), errors.As(err, &perr):
		ct.Note("v%d refused: protocol error: %v", int(wrong), err)
		if e.tg.kind == peer.GoServer && mode == "websocket" {
			// D8: the refusal comes as a close frame with the reason.
			require.Contains(ct, err.Error(), "Unsupported protocol version", "the server's reason, from its close frame")
		}
	default:
		// D10: engine.io 6 writes its HTTP 400 into an accepted WebSocket.
		ct.Note("v%d refused, cause unclear: %v", int(wrong), err)
	}
}

func (e *env) pathHeadersQuery(ct *cellT, mode string) {
	opts := &client.ConnectOptions{
		Header: map[string][]string{"X-Interop": {"matrix"}},
		Query:  url.Values{"token": {"a b"}, "lang": {"é"}},
	}
	c, rec := e.dial(ct, e.aux, mode, opts)
	require.NoError(ct, c.Send("cmd:handshake"))
	m := rec.next(ct, stepTimeout)
	js, ok := strings.CutPrefix(m.Text(), "handshake:")
	require.True(ct, ok, "reply %q", m.Text())
	var hs struct {
		Headers map[string]string `json:"headers"`
		Query   map[string]string `json:"query"`
		URL     string            `json:"url"`
	}
	require.NoError(ct, json.Unmarshal([]byte(js), &hs), js)
	require.Equal(ct, "matrix", hs.Headers["x-interop"], "headers %v", hs.Headers)
	require.Equal(ct, "a b", hs.Query["token"], "query %v", hs.Query)
	require.Equal(ct, "é", hs.Query["lang"], "query %v", hs.Query)
	require.True(ct, strings.HasPrefix(hs.URL, auxPath+"/"), "url %q", hs.URL)
	require.NoError(ct, c.Send("cmd:transport"))
	want := mode
	if mode == "upgrade" {
		want = "websocket"
	}
	require.Equal(ct, "transport:"+want, rec.next(ct, stepTimeout).Text())
	ct.Note("%s", fmt.Sprintf("url %s", hs.URL))
}

// upgradeUnderLoad sends numbered messages from the moment Connect
// returns, across the upgrade; the server counts them.
func (e *env) upgradeUnderLoad(ct *cellT, mode string) {
	const n = 300
	c := client.New(nil)
	rec := record(c)
	ct.Cleanup(c.Abort)
	require.NoError(ct, c.Connect(ctxFor(ct, stepTimeout), e.main.URL, &client.ConnectOptions{Transports: transportsOf(mode), Revision: e.tg.rev}))
	for i := range n {
		require.NoError(ct, c.Send(fmt.Sprintf("seq:u:%d", i)))
	}
	require.Equal(ct, "websocket", rec.upgraded(ct, stepTimeout))
	require.NoError(ct, c.Send("cmd:stats"))
	m := rec.next(ct, stepTimeout)
	js, ok := strings.CutPrefix(m.Text(), "stats:")
	require.True(ct, ok, "reply %q", m.Text())
	var st struct {
		Received, OutOfOrder, Duplicates int
		Keys                             map[string]int
	}
	require.NoError(ct, json.Unmarshal([]byte(js), &st))
	ct.Note("server counted %d of %d, %d out of order, %d duplicates", st.Received, n, st.OutOfOrder, st.Duplicates)
	require.Equal(ct, n, st.Received)
	require.Zero(ct, st.OutOfOrder)
	require.Zero(ct, st.Duplicates)
}

func (e *env) pathNoSlash(ct *cellT, mode string) {
	c := client.New(nil)
	rec := record(c)
	ct.Cleanup(c.Abort)
	err := c.Connect(ctxFor(ct, stepTimeout), e.aux.URL, &client.ConnectOptions{Transports: transportsOf(mode), Revision: e.tg.rev, Path: auxPath})
	if err != nil {
		ct.Note("Path %q: %v", auxPath, err)
	}
	require.NoError(ct, err, "engine.io-client adds the trailing slash to its path option (addTrailingSlash)")
	rec.connected(ct, stepTimeout)
	require.NoError(ct, c.Send("hello"))
	require.Equal(ct, "hello", rec.next(ct, stepTimeout).Text())
}

// knownFailure returns the known client bug behind a cell, or nil.
func knownFailure(c Cell) *known {
	for _, kf := range knownFailures {
		if kf.match(c) {
			k := kf.known
			return &k
		}
	}
	return nil
}

// knownFailureRule matches cells by peer, revision, scenario and mode
// ("" and 0 match anything).
type knownFailureRule struct {
	peer     string
	revision int
	scenario string
	mode     string
	known
}

func (r knownFailureRule) match(c Cell) bool {
	return (r.peer == "" || r.peer == c.Peer) && (r.revision == 0 || r.revision == c.Revision) &&
		(r.scenario == "" || r.scenario == c.Scenario) && (r.mode == "" || r.mode == c.Mode)
}

// knownFailures lists the cells that fail for a known reason: a client
// bug, or a server deviation no client can make up for.
var knownFailures = []knownFailureRule{
	{peer: "goserver", scenario: "server-close", mode: "websocket", known: known{Deviation: "D7"}},
	{peer: "goserver", scenario: "server-close", mode: "upgrade", known: known{Deviation: "D7"}},
	{peer: "goserver", scenario: "server-close", mode: "polling", known: known{Deviation: "D6", Flaky: true}},
	{peer: "python", scenario: "server-close", mode: "polling", known: known{Deviation: "D5", Flaky: true}},
	{peer: "python", scenario: "max-payload", mode: "polling", known: known{Deviation: "D14", Flaky: true}},
}
