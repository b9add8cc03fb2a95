package trace

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
	"github.com/stretchr/testify/require"
)

const handshakeV4 = `0{"sid":"S1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`

// get and post build polling entries started ms milliseconds after base
// and answered 1 ms later.
func get(ms float64, query string, status int, body string) har.Entry {
	return har.Entry{
		StartedDateTime: at(ms),
		Time:            1,
		Timings:         har.Timings{Wait: 1},
		Request:         har.Request{Method: "GET", URL: "http://h/engine.io/?" + query},
		Response:        har.Response{Status: status, Content: har.Content{MimeType: "text/plain", Text: body}},
	}
}

func post(ms float64, query string, body string) har.Entry {
	e := get(ms, query, 200, "ok")
	e.Request.Method = "POST"
	e.Request.PostData = &har.PostData{MimeType: "text/plain;charset=UTF-8", Text: body}
	return e
}

type frame struct {
	typ  har.MessageType
	ms   float64
	data string
	bin  bool
}

func ws(ms float64, query string, status int, frames ...frame) har.Entry {
	e := get(ms, query, status, "")
	e.Request.URL = "ws://h/engine.io/?" + query
	e.ResourceType = "websocket"
	for _, f := range frames {
		m := har.WebSocketMessage{Type: f.typ, Time: har.EpochSeconds(at(f.ms)), Opcode: har.OpText, Data: f.data}
		if f.bin {
			m.Opcode = har.OpBinary
			m.Data = base64.StdEncoding.EncodeToString([]byte(f.data))
		}
		e.WebSocketMessages = append(e.WebSocketMessages, m)
	}
	return e
}

func TestFromHARErrors(t *testing.T) {
	const poll = "EIO=4&transport=polling"
	hs := get(0, poll, 200, handshakeV4)
	for _, tc := range []struct {
		name    string
		entries []har.Entry
		entry   int
		what    string
		is      error
	}{
		{"bad response payload", []har.Entry{hs, get(5, poll+"&sid=S1", 200, "9oops")},
			1, "polling GET response body", codec.ErrUnknownType},
		{"bad base64 packet", []har.Entry{hs, get(5, poll+"&sid=S1", 200, "b!!!")},
			1, "polling GET response body", codec.ErrFraming},
		{"empty poll response", []har.Entry{hs, get(5, poll+"&sid=S1", 200, "")},
			1, "polling GET response body", errEmptyBody},
		{"bad post payload", []har.Entry{hs, post(5, poll+"&sid=S1", "4a\x1e")},
			1, "polling POST body", codec.ErrFraming},
		{"post without body", []har.Entry{hs, func() har.Entry {
			e := post(5, poll+"&sid=S1", "")
			e.Request.PostData = nil
			return e
		}()}, 1, "polling POST body", errEmptyBody},
		{"handshake not open", []har.Entry{get(0, poll, 200, "4hi")}, 0, "handshake", nil},
		{"handshake bad JSON", []har.Entry{get(0, poll, 200, `0{"sid":""}`)}, 0, "handshake", codec.ErrHandshake},
		{"websocket first frame not open", []har.Entry{ws(0, "EIO=4&transport=websocket", 101,
			frame{har.Receive, 1, "4hi", false})}, 0, "handshake", nil},
		{"bad websocket frame", []har.Entry{hs, ws(5, "EIO=4&transport=websocket&sid=S1", 101,
			frame{har.Send, 6, "2probe", false}, frame{har.Receive, 7, "x", false})},
			1, "websocket message 1", codec.ErrUnknownType},
		{"v3 empty binary frame", []har.Entry{ws(5, "EIO=3&transport=websocket&sid=S3", 101,
			frame{har.Receive, 7, "", true})}, 0, "websocket message 0", codec.ErrFraming},
		{"unsupported revision", []har.Entry{get(0, "EIO=5&transport=polling", 200, handshakeV4)},
			0, "request URL", nil},
		{"revision not a number", []har.Entry{get(0, "EIO=four&transport=polling", 200, handshakeV4)},
			0, "request URL", nil},
		{"unknown transport", []har.Entry{get(0, "EIO=4&transport=webtransport", 200, "")},
			0, "request URL", nil},
		{"jsonp", []har.Entry{get(0, poll+"&j=0", 200, "")}, 0, "request URL", nil},
		{"post without sid", []har.Entry{post(0, poll, "4x")}, 0, "request URL", nil},
		{"revision changes", []har.Entry{hs, get(5, "EIO=3&transport=polling&sid=S1", 200, "1:6")},
			1, "request URL", nil},
		{"path changes", []har.Entry{hs, func() har.Entry {
			e := get(5, poll+"&sid=S1", 200, "6")
			e.Request.URL = "http://h/other/?" + poll + "&sid=S1"
			return e
		}()}, 1, "request URL", nil},
		{"sid opened twice", []har.Entry{hs, get(9, poll, 200, handshakeV4)}, 1, "handshake", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromHAR(&har.Log{Entries: tc.entries})
			require.Error(t, err)
			var te *Error
			require.ErrorAs(t, err, &te)
			require.Equal(t, tc.entry, te.Entry, "%v", err)
			require.Equal(t, tc.what, te.What, "%v", err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.Contains(t, err.Error(), "entries[")
		})
	}

	_, err := FromHAR(nil)
	require.Error(t, err)
}

func TestFromHARGrouping(t *testing.T) {
	const poll = "EIO=4&transport=polling"
	entries := []har.Entry{
		// Listed before its handshake: HAR order is not time order.
		get(10, poll+"&sid=S1&t=b", 200, "4late"),
		get(0, poll+"&t=a", 200, handshakeV4),
		// A session the HAR joins in the middle: no handshake.
		get(20, poll+"&sid=MID", 200, "4mid"),
		// A rejected handshake: a session without sid.
		get(30, poll+"&foo=bar", 400, `{"code":3,"message":"Bad request"}`),
		// A handshake still pending when the HAR was saved.
		get(40, poll, 0, ""),
		// Ignored: preflight, no transport, not a URL.
		func() har.Entry { e := get(1, poll+"&sid=S1", 204, ""); e.Request.Method = "OPTIONS"; return e }(),
		get(2, "EIO=4", 200, "whatever"),
		func() har.Entry {
			e := get(3, "", 200, "")
			e.Request.URL = "http://h/%zz?EIO=4&transport=polling"
			return e
		}(),
		// A WebSocket whose handshake failed, and one with no frames.
		ws(50, "EIO=4&transport=websocket", 403),
		ws(60, "EIO=4&transport=websocket", 0),
	}
	tr, err := FromHAR(&har.Log{Entries: entries})
	require.NoError(t, err)
	require.Len(t, tr.Sessions, 6)

	s1 := tr.Sessions[0]
	require.Equal(t, "S1", s1.SID)
	require.Equal(t, []int{1, 1, 0, 0}, entryIndexes(s1))
	requirePackets(t, []codec.Packet{text("late")}, s1.Stream(Polling, ServerToClient)[1:])

	mid := tr.Sessions[1]
	require.Equal(t, "MID", mid.SID)
	require.Empty(t, mid.HandshakeTransport)
	require.Zero(t, mid.Handshake)

	rejected := tr.Sessions[2]
	require.Empty(t, rejected.SID)
	require.Equal(t, "bar", rejected.Query.Get("foo"))
	require.Equal(t, EndHTTPError, rejected.Ending().Kind)

	pending := tr.Sessions[3]
	require.Empty(t, pending.SID)
	require.Len(t, pending.Events, 1)
	require.Equal(t, EndUnknown, pending.Ending().Kind)

	wsFailed := tr.Sessions[4]
	require.Equal(t, HTTPError, wsFailed.Events[0].Kind)
	require.Equal(t, 403, wsFailed.Events[0].Status)
	require.Equal(t, WebSocket, wsFailed.Events[0].Transport)

	wsNever := tr.Sessions[5]
	require.Equal(t, HTTPError, wsNever.Events[0].Kind)
	require.Zero(t, wsNever.Events[0].Status)
}

func entryIndexes(s *Session) []int {
	var out []int
	for _, e := range s.Events {
		out = append(out, e.Entry)
	}
	return out
}

// TestFrameOrderWithinEntry checks that frames stay in recorded order even
// when their clock steps backwards, and that the open event never follows
// the first frame.
func TestFrameOrderWithinEntry(t *testing.T) {
	e := ws(0, "EIO=4&transport=websocket", 101,
		frame{har.Receive, 5, `0{"sid":"W","upgrades":[],"pingInterval":1,"pingTimeout":1}`, false},
		frame{har.Receive, 4, "4second", false},
		frame{har.Send, 6, "4third", false})
	e.Time, e.Timings = 100, har.Timings{Wait: 100} // timings covering the whole socket
	tr, err := FromHAR(&har.Log{Entries: []har.Entry{e}})
	require.NoError(t, err)
	s := tr.Sessions[0]
	kinds := []EventKind{}
	for _, ev := range s.Events {
		kinds = append(kinds, ev.Kind)
	}
	require.Equal(t, []EventKind{WSOpen, WSFrame, WSFrame, WSFrame, WSClose}, kinds)
	require.Equal(t, "second", string(s.Events[2].Packets[0].Data))
	require.Equal(t, at(5), s.Events[0].Time)
	require.Equal(t, at(100), s.End)
	for i := 1; i < len(s.Events); i++ {
		require.False(t, s.Events[i].Time.Before(s.Events[i-1].Time))
	}
}

func TestStrings(t *testing.T) {
	require.Equal(t, "c->s", ClientToServer.String())
	require.Equal(t, "s->c", ServerToClient.String())
	require.Equal(t, "none", Direction(0).String())
	require.Equal(t, "Direction(7)", Direction(7).String())
	require.Equal(t, "poll_request", PollRequest.String())
	require.Equal(t, "http_error", HTTPError.String())
	require.Equal(t, "EventKind(0)", EventKind(0).String())
	require.Equal(t, "send", ActionSend.String())
	require.Equal(t, "disconnect", ActionDisconnect.String())
	require.Equal(t, "transport_closed", EndTransportClosed.String())
	e := Event{Transport: Polling, Dir: ServerToClient, Kind: HTTPError, Status: 400, Body: []byte("no")}
	require.Equal(t, `polling s->c http_error status=400 body="no"`, e.String())
	e = Event{Time: time.Time{}, Transport: WebSocket, Dir: ClientToServer, Kind: WSFrame,
		Packets: []codec.Packet{codec.ProbePing}}
	require.Equal(t, `websocket c->s ws_frame [ping "probe"]`, e.String())
}
