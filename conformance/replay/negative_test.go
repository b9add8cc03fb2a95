package replay_test

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
	"github.com/eio-go/eio/conformance/record"
	"github.com/eio-go/eio/conformance/replay"
	"github.com/eio-go/eio/conformance/trace"
	"github.com/eio-go/eio/fsm"
)

var update = flag.Bool("update", false, "rewrite the negative traces in ../testdata/negative from the corpus")

// The negative traces are corpus traces edited to show what a correct
// client must do when the server misbehaves. TestNegativeUpToDate
// rewrites them with -update.
var negatives = map[string]struct {
	from string
	edit func(t *testing.T, l *har.Log)
}{
	"probe-hangs-heartbeat": {from: "v4-heartbeat", edit: probeHangs},
	// The server answers the first echo with a packet of unknown type 9;
	// the edited recording shows the application going on, which a
	// correct client cannot do: it must end with a protocol error.
	"unknown-packet": {from: "v4-polling", edit: func(t *testing.T, l *har.Log) {
		for i := range l.Entries {
			c := &l.Entries[i].Response.Content
			if c.Text == "4hello" {
				c.Text = "9hello"
				return
			}
		}
		t.Fatal("no echo of hello in v4-polling")
	}},
	// The server never answers the upgrade probe. A correct client keeps
	// the session on polling: the message is echoed over polling and the
	// client closes over polling.
	"probe-unanswered": {from: "v4-upgrade", edit: func(t *testing.T, l *har.Log) {
		var end time.Time
		for i := range l.Entries {
			e := &l.Entries[i]
			switch {
			case e.ResourceType == "websocket":
				for j, m := range e.WebSocketMessages {
					if m.Type == har.Send && m.Data == "2probe" {
						e.WebSocketMessages = e.WebSocketMessages[:j+1]
						break
					}
				}
				e.Time = 2000
				e.Comment = record.ClosedByClient + " (edited: the server never answered the probe)"
				end = e.StartedDateTime.Add(2 * time.Second)
			case e.Response.Content.Text == "6":
				// The noop that released the last poll was the server's
				// reaction to the upgrade: without one, the poll stays.
				e.Response = har.Response{Comment: "pending (edited)"}
				e.Time = 0
				e.Timings = har.Timings{}
			}
		}
		require.False(t, end.IsZero(), "no websocket in v4-upgrade")
		post := l.Entries[len(l.Entries)-1]
		for i := range l.Entries {
			if l.Entries[i].Request.Method == "POST" {
				post = l.Entries[i]
			}
		}
		post.StartedDateTime = end
		post.Request.PostData = &har.PostData{MimeType: "text/plain;charset=UTF-8", Text: "1"}
		post.Request.URL = strings.Replace(post.Request.URL, "&t=", "&t=x", 1)
		post.Comment = "edited: the application closes on polling"
		l.Entries = append(l.Entries, post)
	}},
}

// probeHangs is the edit of "probe-hangs-heartbeat": after the handshake the
// client's WebSocket request is never answered (a middlebox that swallows
// upgrades), while the server's short heartbeat goes on over polling, as
// the recorded client kept it. The open packet's pingTimeout is cut to
// 300 ms, so that pingInterval + pingTimeout (600 ms) is shorter than the
// client's probe hold (1 s).
func probeHangs(t *testing.T, l *har.Log) {
	c := &l.Entries[0].Response.Content
	require.Contains(t, c.Text, `"pingTimeout":1000`)
	c.Text = strings.Replace(c.Text, `"pingTimeout":1000`, `"pingTimeout":300`, 1)
	c.Size = int64(len(c.Text))
	hs := l.Entries[0]
	open, err := hs.Response.Body()
	require.NoError(t, err)
	require.Contains(t, string(open), `"upgrades":["websocket"]`)
	i := strings.Index(string(open), `"sid":"`)
	require.GreaterOrEqual(t, i, 0)
	sid := string(open)[i+7 : i+7+strings.Index(string(open)[i+7:], `"`)]
	u := strings.Replace(hs.Request.URL, "http://", "ws://", 1)
	u = u[:strings.Index(u, "?")] + "?EIO=4&transport=websocket&sid=" + sid
	l.Entries = append(l.Entries, har.Entry{
		StartedDateTime: hs.ResponseTime().Add(5 * time.Millisecond),
		ResourceType:    "websocket",
		Request:         har.Request{Method: "GET", URL: u, HTTPVersion: "HTTP/1.1", HeadersSize: -1},
		Response:        har.Response{Comment: "edited: never answered"},
		Comment:         "edited: the WebSocket upgrade never completes",
	})
}

func negativePath(name string) string { return "../testdata/negative/" + name + ".har" }

func TestNegativeUpToDate(t *testing.T) {
	for name, n := range negatives {
		l, err := har.ReadFile("../testdata/traces/" + n.from + ".har")
		require.NoError(t, err)
		n.edit(t, l)
		l.Comment = "negative trace: " + name + ", edited from " + n.from + ".har (go test ./conformance/replay -run TestNegativeUpToDate -update)"
		if *update {
			require.NoError(t, har.WriteFile(negativePath(name), l))
			continue
		}
		_, err = replay.LoadFile(negativePath(name))
		require.NoError(t, err, "run with -update to write it")
	}
}

func loadOne(t *testing.T, path string) *replay.Case {
	t.Helper()
	cases, err := replay.LoadFile(path)
	require.NoError(t, err)
	require.Len(t, cases, 1)
	return cases[0]
}

func TestNegativeUnknownPacket(t *testing.T) {
	c := loadOne(t, negativePath("unknown-packet"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := c.Run(ctx, &replay.Options{Speed: 4, Patience: 2 * time.Second})
	require.NoError(t, err)
	require.False(t, rep.OK())
	d := rep.Divergence
	require.Equal(t, trace.Polling, d.Transport)
	require.Equal(t, trace.ClientToServer, d.Dir)
	require.Equal(t, 1, d.Index, "the packet after the first message")
	require.NotNil(t, d.Expected)
	require.Equal(t, codec.TextMessage("second"), *d.Expected)
	require.Nil(t, d.Got)
	require.Equal(t, fsm.Disconnected, d.State)
	require.Equal(t, client.ReasonProtocolError, rep.Reason)
	require.ErrorIs(t, rep.Err, fsm.ErrProtocol)
	last := rep.Transitions[len(rep.Transitions)-1]
	require.Equal(t, fsm.EvProtocolError, last.Event)

	m := c.RunMachine()
	require.False(t, m.OK())
	require.Equal(t, trace.Polling, m.Divergence.Transport)
	require.Equal(t, 1, m.Divergence.Index)
	require.Equal(t, fsm.Disconnected, m.Divergence.State)
}

func TestNegativeProbeUnanswered(t *testing.T) {
	c := loadOne(t, negativePath("probe-unanswered"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := c.Run(ctx, &replay.Options{Client: &client.Options{ProbeTimeout: 300 * time.Millisecond}})
	require.NoError(t, err)
	var b strings.Builder
	_ = rep.WriteText(&b)
	require.True(t, rep.OK(), b.String())
	require.Empty(t, rep.Upgrades, "the client must stay on polling")
	require.Len(t, rep.UpgradeErrors, 1)
	require.Equal(t, client.ReasonClientDisconnect, rep.Reason)
	require.Equal(t, []codec.Packet{codec.TextMessage("hello"), {Type: codec.Close}}, rep.Got[trace.Polling])

	m := c.RunMachine()
	b.Reset()
	_ = m.WriteText(&b)
	require.True(t, m.OK(), b.String())
}

// TestProbeHoldSparesHeartbeat: while the first probe is tried the client
// holds polling back. When the WebSocket upgrade hangs and the server's
// heartbeat is short, the hold must end before the server's ping is due,
// so the client polls, answers the ping and stays connected, as the
// reference client does. (The trace once caught the client dying of a
// ping timeout here, with a hold of a full second.)
func TestProbeHoldSparesHeartbeat(t *testing.T) {
	c := loadOne(t, negativePath("probe-hangs-heartbeat"))
	m := c.RunMachine()
	var b strings.Builder
	_ = m.WriteText(&b)
	require.True(t, m.OK(), b.String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := c.Run(ctx, nil)
	require.NoError(t, err)
	require.True(t, rep.OK(), "wire-level divergence: %s", rep.Divergence)
}
