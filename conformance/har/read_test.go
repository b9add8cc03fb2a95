package har

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadChrome(t *testing.T) {
	l, err := ReadFile("testdata/chrome.har")
	require.NoError(t, err)
	require.Equal(t, "1.2", l.Version)
	require.Equal(t, "WebInspector", l.Creator.Name)
	require.Len(t, l.Pages, 1)
	require.Len(t, l.Entries, 4)

	post := &l.Entries[2]
	require.Equal(t, "POST", post.Request.Method)
	require.Equal(t, time.Date(2024, 5, 14, 9, 30, 0, 90e6, time.UTC), post.StartedDateTime.UTC())
	body, err := post.Request.Body()
	require.NoError(t, err)
	require.Equal(t, "4hi\x1ebAQIDBA==", string(body))
	resp, err := post.Response.Body()
	require.NoError(t, err)
	require.Equal(t, "ok", string(resp))
	require.Equal(t, 2*time.Millisecond, post.ResponseTime().Sub(post.StartedDateTime))

	ws := &l.Entries[3]
	require.True(t, ws.IsWebSocket())
	require.False(t, post.IsWebSocket())
	require.Equal(t, 101, ws.Response.Status)
	require.Len(t, ws.WebSocketMessages, 4)
	m := ws.WebSocketMessages[0]
	require.Equal(t, Send, m.Type)
	require.Equal(t, OpText, m.Opcode)
	require.Equal(t, time.Date(2024, 5, 14, 9, 30, 0, 101234e3, time.UTC), m.At().UTC())
	p, err := m.Payload()
	require.NoError(t, err)
	require.Equal(t, "2probe", string(p))
	bin := ws.WebSocketMessages[3]
	require.True(t, bin.Binary())
	require.Equal(t, Receive, bin.Type)
	p, err = bin.Payload()
	require.NoError(t, err)
	require.Equal(t, []byte{0, 1, 2, 0xff}, p)
}

func TestReadFirefox(t *testing.T) {
	l, err := ReadFile("testdata/firefox.har")
	require.NoError(t, err)
	require.NotNil(t, l.Browser)
	require.Equal(t, "Firefox", l.Browser.Name)
	require.Len(t, l.Entries, 4)

	ws := &l.Entries[2]
	require.True(t, ws.IsWebSocket(), "wss: URL marks a WebSocket")
	require.Empty(t, ws.WebSocketMessages)
	_, offset := ws.StartedDateTime.Zone()
	require.Equal(t, 2*3600, offset)

	png, err := l.Entries[3].Response.Body()
	require.NoError(t, err)
	require.Equal(t, []byte("\x89PNG\r\n\x1a\n"), png)
}

// minimalEntry returns the JSON object of a valid entry, to be broken by
// the error cases.
func minimalEntry() map[string]any {
	return map[string]any{
		"startedDateTime": "2024-05-14T09:30:00.000Z",
		"time":            1,
		"request": map[string]any{
			"method": "GET", "url": "http://h/engine.io/?EIO=4", "httpVersion": "HTTP/1.1",
			"headers": []any{}, "queryString": []any{}, "cookies": []any{},
			"headersSize": -1, "bodySize": -1,
		},
		"response": map[string]any{
			"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
			"headers": []any{}, "cookies": []any{}, "redirectURL": "",
			"content":     map[string]any{"size": 0, "mimeType": "text/plain"},
			"headersSize": -1, "bodySize": -1,
		},
		"cache":   map[string]any{},
		"timings": map[string]any{"send": 0, "wait": 1, "receive": 0},
	}
}

func harWith(t *testing.T, entries ...map[string]any) string {
	t.Helper()
	es := make([]any, len(entries))
	for i, e := range entries {
		es[i] = e
	}
	b, err := json.Marshal(map[string]any{"log": map[string]any{
		"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"},
		"entries": es,
	}})
	require.NoError(t, err)
	return string(b)
}

func TestReadErrors(t *testing.T) {
	sub := func(e map[string]any, key string) map[string]any { return e[key].(map[string]any) }
	broken := func(f func(e map[string]any)) map[string]any {
		e := minimalEntry()
		f(e)
		return e
	}
	ws := func(msgs ...any) map[string]any {
		return broken(func(e map[string]any) {
			e["_resourceType"] = "websocket"
			e["_webSocketMessages"] = msgs
		})
	}
	msg := func(typ string, op int, data string) map[string]any {
		return map[string]any{"type": typ, "time": 1715679000.5, "opcode": op, "data": data}
	}
	for _, tc := range []struct {
		name  string
		in    string
		entry int
		field string
		is    error
	}{
		{"not JSON", "{", -1, "", nil},
		{"no log", `{"logs":{}}`, -1, "log", ErrMissing},
		{"null log", `{"log":null}`, -1, "log", ErrMissing},
		{"no entries", `{"log":{"version":"1.2"}}`, -1, "log.entries", ErrMissing},
		{"entries not an array", `{"log":{"entries":{}}}`, -1, "", nil},
		{"entry not an object", `{"log":{"entries":[7]}}`, 0, "", nil},
		{"null entry", `{"log":{"entries":[null]}}`, 0, "", nil},
		{"no startedDateTime", harWith(t, minimalEntry(), broken(func(e map[string]any) {
			delete(e, "startedDateTime")
		})), 1, "startedDateTime", ErrMissing},
		{"bad startedDateTime", harWith(t, broken(func(e map[string]any) {
			e["startedDateTime"] = "yesterday"
		})), 0, "", nil},
		{"no request", harWith(t, broken(func(e map[string]any) { delete(e, "request") })),
			0, "request", ErrMissing},
		{"null response", harWith(t, broken(func(e map[string]any) { e["response"] = nil })),
			0, "response", ErrMissing},
		{"no method", harWith(t, broken(func(e map[string]any) { delete(sub(e, "request"), "method") })),
			0, "request.method", ErrMissing},
		{"no url", harWith(t, broken(func(e map[string]any) { delete(sub(e, "request"), "url") })),
			0, "request.url", ErrMissing},
		{"bad url", harWith(t, broken(func(e map[string]any) { sub(e, "request")["url"] = "http://h/%zz" })),
			0, "request.url", nil},
		{"relative url", harWith(t, broken(func(e map[string]any) { sub(e, "request")["url"] = "/engine.io/" })),
			0, "request.url", nil},
		{"status not a number", harWith(t, broken(func(e map[string]any) { sub(e, "response")["status"] = "200" })),
			0, "", nil},
		{"bad base64 content", harWith(t, broken(func(e map[string]any) {
			sub(e, "response")["content"] = map[string]any{"size": 3, "mimeType": "x", "text": "!!!", "encoding": "base64"}
		})), 0, "response.content.text", nil},
		{"unknown content encoding", harWith(t, broken(func(e map[string]any) {
			sub(e, "response")["content"] = map[string]any{"size": 3, "mimeType": "x", "text": "abc", "encoding": "gzip"}
		})), 0, "response.content.text", nil},
		{"bad base64 post", harWith(t, broken(func(e map[string]any) {
			sub(e, "request")["postData"] = map[string]any{"mimeType": "x", "text": "@@", "encoding": "base64"}
		})), 0, "request.postData.text", nil},
		{"bad message type", harWith(t, ws(msg("send", 1, "2probe"), msg("recv", 1, "3probe"))),
			0, "_webSocketMessages[1].type", nil},
		{"bad opcode", harWith(t, ws(msg("send", 9, "x"))), 0, "_webSocketMessages[0].opcode", nil},
		{"bad binary data", harWith(t, ws(msg("receive", 2, "not base64!"))), 0, "_webSocketMessages[0].data", nil},
		{"negative time", harWith(t, ws(map[string]any{"type": "send", "time": -1, "opcode": 1, "data": "x"})),
			0, "_webSocketMessages[0].time", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in))
			require.Error(t, err)
			var he *Error
			require.ErrorAs(t, err, &he)
			require.Equal(t, tc.entry, he.Entry, "%v", err)
			require.Equal(t, tc.field, he.Field, "%v", err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			if tc.entry >= 0 {
				require.Contains(t, err.Error(), "entries["+itoa(tc.entry)+"]")
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestReadTolerant(t *testing.T) {
	e := minimalEntry()
	e["_somethingNew"] = map[string]any{"x": []any{1, 2}}
	e["request"].(map[string]any)["_extra"] = true
	delete(e, "cache")
	delete(e, "timings")
	in := "\xef\xbb\xbf" + harWith(t, e)
	l, err := Read(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, l.Entries, 1)

	l, err = Read(strings.NewReader(`{"log":{"entries":[]}}`))
	require.NoError(t, err)
	require.Empty(t, l.Entries)
}

func TestReadTooLarge(t *testing.T) {
	in := harWith(t, minimalEntry())
	_, err := readLimit(strings.NewReader(in), int64(len(in)))
	require.NoError(t, err)
	_, err = readLimit(strings.NewReader(in), int64(len(in)-1))
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestReadFileMissing(t *testing.T) {
	_, err := ReadFile("testdata/does-not-exist.har")
	require.Error(t, err)
	require.True(t, errors.Is(err, errNotExist()), "%v", err)
}
