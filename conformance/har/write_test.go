package har

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWriteRoundTrip(t *testing.T) {
	for _, name := range []string{"chrome.har", "firefox.har"} {
		t.Run(name, func(t *testing.T) {
			l, err := ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, l))
			l2, err := Read(bytes.NewReader(buf.Bytes()))
			require.NoError(t, err)
			require.Equal(t, len(l.Entries), len(l2.Entries))
			for i := range l.Entries {
				require.Equal(t, l.Entries[i].Request.URL, l2.Entries[i].Request.URL)
				require.True(t, l.Entries[i].StartedDateTime.Equal(l2.Entries[i].StartedDateTime))
				require.Equal(t, l.Entries[i].Response.Content, l2.Entries[i].Response.Content)
				require.Equal(t, l.Entries[i].WebSocketMessages, l2.Entries[i].WebSocketMessages)
			}

			// A written log is a fixed point: reading and writing it again
			// changes nothing.
			var buf2 bytes.Buffer
			require.NoError(t, Write(&buf2, l2))
			require.Equal(t, buf.String(), buf2.String())
			l3, err := Read(bytes.NewReader(buf2.Bytes()))
			require.NoError(t, err)
			require.Equal(t, l2, l3)
		})
	}
}

func TestWriteFillsRequired(t *testing.T) {
	start := time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC)
	l := &Log{Entries: []Entry{{
		StartedDateTime: start,
		Request:         Request{Method: "GET", URL: "ws://h/engine.io/?EIO=4&transport=websocket"},
		Response:        Response{Status: 101},
		ResourceType:    "websocket",
		WebSocketMessages: []WebSocketMessage{
			{Type: Send, Time: EpochSeconds(start.Add(time.Millisecond)), Opcode: OpText, Data: "2probe"},
			{Type: Receive, Time: EpochSeconds(start.Add(2 * time.Millisecond)), Opcode: OpBinary, Data: "AQI="},
		},
	}}}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, l))
	require.Empty(t, l.Version, "Write must not modify its input")
	require.Nil(t, l.Entries[0].Request.Headers, "Write must not modify its input")

	var doc map[string]map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	log := doc["log"]
	require.Equal(t, "1.2", log["version"])
	creator := log["creator"].(map[string]any)
	require.Equal(t, "eio", creator["name"])
	require.Contains(t, creator, "version")
	e := log["entries"].([]any)[0].(map[string]any)
	for _, key := range []string{"startedDateTime", "time", "request", "response", "cache", "timings"} {
		require.Contains(t, e, key)
	}
	req := e["request"].(map[string]any)
	for _, key := range []string{"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"} {
		require.Contains(t, req, key)
	}
	require.Equal(t, []any{}, req["headers"])
	resp := e["response"].(map[string]any)
	for _, key := range []string{"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"} {
		require.Contains(t, resp, key)
	}
	require.Contains(t, resp["content"], "size")
	require.Contains(t, resp["content"], "mimeType")
	timings := e["timings"].(map[string]any)
	for _, key := range []string{"send", "wait", "receive"} {
		require.Contains(t, timings, key)
	}
	msgs := e["_webSocketMessages"].([]any)
	require.Equal(t, 1715679000.001, msgs[0].(map[string]any)["time"])

	back, err := Read(&buf)
	require.NoError(t, err)
	m := back.Entries[0].WebSocketMessages[1]
	require.Equal(t, start.Add(2*time.Millisecond), m.At().UTC())
	p, err := m.Payload()
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2}, p)
}

func TestWriteKeepsCreator(t *testing.T) {
	l := &Log{Version: "1.1", Creator: Creator{Name: "proxy", Version: "3"}, Entries: []Entry{}}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, l))
	back, err := Read(&buf)
	require.NoError(t, err)
	require.Equal(t, "1.2", back.Version)
	require.Equal(t, l.Creator, back.Creator)
}

func TestWriteRejectsInvalid(t *testing.T) {
	good := Entry{
		StartedDateTime: time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC),
		Request:         Request{Method: "GET", URL: "http://h/"},
	}
	for _, tc := range []struct {
		name  string
		mod   func(e *Entry)
		field string
	}{
		{"zero start", func(e *Entry) { e.StartedDateTime = time.Time{} }, "startedDateTime"},
		{"no method", func(e *Entry) { e.Request.Method = "" }, "request.method"},
		{"relative url", func(e *Entry) { e.Request.URL = "/x" }, "request.url"},
		{"bad base64", func(e *Entry) { e.Response.Content = Content{Text: "%", Encoding: EncodingBase64} }, "response.content.text"},
		{"bad opcode", func(e *Entry) {
			e.WebSocketMessages = []WebSocketMessage{{Type: Send, Time: 1, Opcode: 8}}
		}, "_webSocketMessages[0].opcode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := good
			tc.mod(&e)
			err := Write(&bytes.Buffer{}, &Log{Entries: []Entry{good, e}})
			var he *Error
			require.ErrorAs(t, err, &he)
			require.Equal(t, 1, he.Entry)
			require.Equal(t, tc.field, he.Field)
		})
	}
	require.Error(t, Write(&bytes.Buffer{}, nil))
}

func TestWriteFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "out.har")
	l, err := ReadFile("testdata/chrome.har")
	require.NoError(t, err)
	require.NoError(t, WriteFile(name, l))
	back, err := ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, l, back)
}

func TestBodies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		encoding string
		want     []byte
	}{
		{"plain", "4hello", "", []byte("4hello")},
		{"padded", "AAEC/w==", EncodingBase64, []byte{0, 1, 2, 0xff}},
		{"unpadded", "AAEC/w", EncodingBase64, []byte{0, 1, 2, 0xff}},
		{"line breaks", "AAEC\r\n/w==", EncodingBase64, []byte{0, 1, 2, 0xff}},
		{"empty", "", "", []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Content{Text: tc.text, Encoding: tc.encoding}
			got, err := c.Bytes()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			r := Request{PostData: &PostData{Text: tc.text, Encoding: tc.encoding}}
			got, err = r.Body()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	got, err := (&Request{}).Body()
	require.NoError(t, err)
	require.Nil(t, got)
}

func TestTimings(t *testing.T) {
	tm := Timings{Blocked: -1, DNS: -1, Connect: 10, SSL: 7, Send: 0.5, Wait: 20, Receive: 1.5}
	require.Equal(t, 32*time.Millisecond, tm.Total())
	require.Equal(t, time.Duration(0), Millis(-1))
	require.Greater(t, Millis(1e300), time.Duration(0))
}
