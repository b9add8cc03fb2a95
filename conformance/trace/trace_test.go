package trace

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden .txt files in testdata")

// base is the time the hand-written HARs in testdata start at.
var base = time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC)

func at(ms float64) time.Time { return base.Add(time.Duration(ms * float64(time.Millisecond))) }

func load(t *testing.T, name string) *Trace {
	t.Helper()
	l, err := har.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	tr, err := FromHAR(l)
	require.NoError(t, err)
	return tr
}

func text(s string) codec.Packet { return codec.Packet{Type: codec.Message, Data: []byte(s)} }

func pkt(t codec.PacketType, data string) codec.Packet {
	p := codec.Packet{Type: t}
	if data != "" {
		p.Data = []byte(data)
	}
	return p
}

func bin(b ...byte) codec.Packet { return codec.BinaryMessage(b) }

// requirePackets compares packet lists by type, binary flag and data,
// treating nil and empty data alike.
func requirePackets(t *testing.T, want, got []codec.Packet) {
	t.Helper()
	render := func(ps []codec.Packet) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.Type.String() + map[bool]string{true: " bin ", false: " txt "}[p.Binary] + string(p.Data)
		}
		return out
	}
	require.Equal(t, render(want), render(got))
}

func TestV4Upgrade(t *testing.T) {
	tr := load(t, "v4_upgrade.har")
	require.Len(t, tr.Sessions, 1)
	s := tr.Sessions[0]
	require.Same(t, s, tr.Session("lv_VI97HAXpY6yYWAAAC"))
	require.Equal(t, "lv_VI97HAXpY6yYWAAAC", s.SID)
	require.Equal(t, codec.V4, s.Revision)
	require.Equal(t, "/engine.io/", s.Path)
	require.Equal(t, url.Values{"token": {"abc"}}, s.Query)
	require.Equal(t, Polling, s.HandshakeTransport)
	require.Equal(t, codec.Handshake{SID: s.SID, Upgrades: []string{"websocket"},
		PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second, MaxPayload: 1000000}, s.Handshake)
	require.Equal(t, at(0), s.Start)
	require.Equal(t, at(30000), s.End)

	type step struct {
		ms    float64
		entry int
		kind  EventKind
		dir   Direction
	}
	want := []step{
		{0, 0, PollRequest, ClientToServer},
		{5.1, 0, PollResponse, ServerToClient},
		{6, 1, PollRequest, ClientToServer},
		{10, 2, PostRequest, ClientToServer},
		{12, 2, PostResponse, ServerToClient},
		{15, 1, PollResponse, ServerToClient},
		{16, 3, PollRequest, ClientToServer},
		{23, 4, WSOpen, ServerToClient},
		{25, 4, WSFrame, ClientToServer},
		{30, 4, WSFrame, ServerToClient},
		{35, 3, PollResponse, ServerToClient},
		{40, 4, WSFrame, ClientToServer},
		{50, 4, WSFrame, ClientToServer},
		{60, 4, WSFrame, ServerToClient},
		{65, 4, WSFrame, ClientToServer},
		{25060, 4, WSFrame, ServerToClient},
		{25061, 4, WSFrame, ClientToServer},
		{30000, 4, WSFrame, ClientToServer},
		{30000, 4, WSClose, 0},
	}
	require.Len(t, s.Events, len(want))
	for i, w := range want {
		e := s.Events[i]
		require.WithinDuration(t, at(w.ms), e.Time, time.Microsecond, "event %d", i)
		require.Equal(t, w.entry, e.Entry, "event %d", i)
		require.Equal(t, w.kind, e.Kind, "event %d: %s", i, e.String())
		require.Equal(t, w.dir, e.Dir, "event %d: %s", i, e.String())
	}

	requirePackets(t, []codec.Packet{text("hello"), bin(1, 2, 3)}, s.Stream(Polling, ClientToServer))
	requirePackets(t, []codec.Packet{
		pkt(codec.Open, `{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`),
		text("welcome"), bin(4, 5, 6), pkt(codec.Noop, ""),
	}, s.Stream(Polling, ServerToClient))
	requirePackets(t, []codec.Packet{
		codec.ProbePing, pkt(codec.Upgrade, ""), text("after upgrade"), bin(0, 1), pkt(codec.Pong, ""), pkt(codec.Close, ""),
	}, s.Stream(WebSocket, ClientToServer))
	requirePackets(t, []codec.Packet{pkt(codec.Pong, "probe"), bin(9, 8, 7), pkt(codec.Ping, "")},
		s.Stream(WebSocket, ServerToClient))
	require.Len(t, s.Stream("", ClientToServer), 8)

	acts := s.AppActions()
	require.Len(t, acts, 5)
	kinds := []ActionKind{ActionSend, ActionSend, ActionSend, ActionSend, ActionDisconnect}
	times := []float64{10, 10, 50, 65, 30000}
	for i, a := range acts {
		require.Equal(t, kinds[i], a.Kind, "action %d", i)
		require.WithinDuration(t, at(times[i]), a.Time, time.Microsecond, "action %d", i)
		require.Equal(t, a.Time, s.Events[a.Event].Time)
	}
	requirePackets(t, []codec.Packet{text("hello"), bin(1, 2, 3), text("after upgrade"), bin(0, 1), pkt(codec.Close, "")},
		[]codec.Packet{acts[0].Packet, acts[1].Packet, acts[2].Packet, acts[3].Packet, acts[4].Packet})

	end := s.Ending()
	require.Equal(t, EndClientClose, end.Kind)
	require.Equal(t, 17, end.Event)
	require.WithinDuration(t, at(30000), end.Time, time.Microsecond)

	for _, e := range s.ServerEvents() {
		require.Equal(t, ServerToClient, e.Dir)
	}
	require.Len(t, s.ServerEvents(), 8)
}

func TestV4WebSocketOnly(t *testing.T) {
	tr := load(t, "v4_websocket_only.har")
	require.Len(t, tr.Sessions, 1)
	s := tr.Sessions[0]
	require.Equal(t, "Wq0x5mFJbYb6fQkLAAAE", s.SID)
	require.Equal(t, WebSocket, s.HandshakeTransport)
	require.Equal(t, 300*time.Millisecond, s.Handshake.PingInterval)
	require.Empty(t, s.Handshake.Upgrades)
	require.Empty(t, s.Query)
	require.Empty(t, s.Stream(Polling, ServerToClient))
	requirePackets(t, []codec.Packet{text("client hello"), bin(0, 0xff), pkt(codec.Pong, "")},
		s.Stream(WebSocket, ClientToServer))
	require.Equal(t, WSOpen, s.Events[0].Kind)
	require.Equal(t, 101, s.Events[0].Status)
	require.Equal(t, codec.Open, s.Events[1].Packets[0].Type)

	acts := s.AppActions()
	require.Len(t, acts, 2, "the server closed; the application did not disconnect")
	require.Equal(t, ActionSend, acts[1].Kind)
	require.Equal(t, EndServerClose, s.Ending().Kind)
	require.WithinDuration(t, at(400), s.Ending().Time, time.Microsecond)
}

func TestV3Polling(t *testing.T) {
	tr := load(t, "v3_polling.har")
	require.Len(t, tr.Sessions, 1)
	s := tr.Sessions[0]
	require.Equal(t, "f3TGmnB2V9CdqHbGAAAA", s.SID)
	require.Equal(t, codec.V3, s.Revision)
	require.Equal(t, "/socket.io/", s.Path)
	require.Equal(t, 5*time.Second, s.Handshake.PingTimeout)
	require.Zero(t, s.Handshake.MaxPayload)

	requirePackets(t, []codec.Packet{
		text("hello"), text("héllo €"), pkt(codec.Ping, ""), bin(0xde, 0xad), pkt(codec.Close, ""),
	}, s.Stream(Polling, ClientToServer))
	requirePackets(t, []codec.Packet{
		pkt(codec.Open, `{"sid":"f3TGmnB2V9CdqHbGAAAA","upgrades":[],"pingInterval":25000,"pingTimeout":5000}`),
		text("0"), pkt(codec.Pong, ""), bin(1, 2, 3), text("bin follows"), bin(1, 2, 3),
	}, s.Stream(Polling, ServerToClient))

	var pending []Event
	for _, e := range s.Events {
		if e.Entry == 5 {
			pending = append(pending, e)
		}
	}
	require.Len(t, pending, 1, "a request without response has only its request event")
	require.Equal(t, PollRequest, pending[0].Kind)

	acts := s.AppActions()
	require.Len(t, acts, 4)
	require.Equal(t, ActionDisconnect, acts[3].Kind)
	require.WithinDuration(t, at(60), acts[3].Time, time.Microsecond)
	require.Equal(t, EndClientClose, s.Ending().Kind)
}

func TestTwoSessions(t *testing.T) {
	tr := load(t, "two_sessions.har")
	require.Len(t, tr.Sessions, 2)
	a, b := tr.Sessions[0], tr.Sessions[1]
	require.Equal(t, "AAAAsessionAAAAAAAAA", a.SID)
	require.Equal(t, "BBBBsessionBBBBBBBBB", b.SID)
	require.Equal(t, WebSocket, a.HandshakeTransport)
	require.Equal(t, Polling, b.HandshakeTransport)
	require.True(t, a.End.Before(b.Start))
	require.Equal(t, at(999), b.Start)

	for _, e := range b.Events {
		require.Contains(t, []int{6, 7, 8, 9}, e.Entry, "page, script, favicon, API call and preflight are skipped")
	}
	for _, e := range a.Events {
		require.Equal(t, 2, e.Entry)
	}
	requirePackets(t, []codec.Packet{text("first")}, a.Stream("", ClientToServer))
	requirePackets(t, []codec.Packet{text("second")}, b.Stream("", ClientToServer))
	require.Equal(t, EndTransportClosed, a.Ending().Kind)

	last := b.Events[len(b.Events)-1]
	require.Equal(t, HTTPError, last.Kind)
	require.Equal(t, 400, last.Status)
	require.JSONEq(t, `{"code":1,"message":"Session ID unknown"}`, string(last.Body))
	require.Equal(t, EndHTTPError, b.Ending().Kind)
	require.Equal(t, []string{"second"}, messages(b.AppActions()))
}

func messages(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if a.Kind == ActionSend {
			out = append(out, string(a.Packet.Data))
		}
	}
	return out
}

// TestBrowserHARs loads the har package's browser-style samples: Chrome
// with frames, Firefox whose WebSocket entry has none.
func TestBrowserHARs(t *testing.T) {
	l, err := har.ReadFile("../har/testdata/chrome.har")
	require.NoError(t, err)
	tr, err := FromHAR(l)
	require.NoError(t, err)
	require.Len(t, tr.Sessions, 1)
	s := tr.Sessions[0]
	require.Equal(t, "mX8d2kQq0nVvZ3JbAAAB", s.SID)
	requirePackets(t, []codec.Packet{text("hi"), bin(1, 2, 3, 4), codec.ProbePing, pkt(codec.Upgrade, "")},
		s.Stream("", ClientToServer))

	l, err = har.ReadFile("../har/testdata/firefox.har")
	require.NoError(t, err)
	tr, err = FromHAR(l)
	require.NoError(t, err)
	require.Len(t, tr.Sessions, 1)
	s = tr.Sessions[0]
	require.Equal(t, "Qm1lVQ5Zl1dI0b3yAAAC", s.SID)
	require.Empty(t, s.Stream(WebSocket, ClientToServer))
	kinds := []EventKind{}
	for _, e := range s.Events {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []EventKind{PollRequest, PollResponse, PostRequest, PostResponse, WSOpen, WSClose}, kinds)
	require.Equal(t, EndTransportClosed, s.Ending().Kind)
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.har")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			tr := load(t, filepath.Base(name))
			var buf bytes.Buffer
			require.NoError(t, tr.WriteText(&buf))
			golden := strings.TrimSuffix(name, ".har") + ".txt"
			if *update {
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create the golden file")
			require.Equal(t, string(want), buf.String())
		})
	}
}
