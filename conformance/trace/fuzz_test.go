package trace

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
)

// FuzzFromHAR feeds arbitrary bytes through har.Read and FromHAR. Neither
// may panic, FromHAR's failures must be *Error values naming a real entry,
// and a trace it returns must be well formed.
//
// The seeds in testdata/fuzz/FuzzFromHAR are the HARs of testdata and of
// the har package, shrunk to what the model reads.
func FuzzFromHAR(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := har.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		tr, err := FromHAR(l)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("FromHAR error is not an *Error: %v", err)
			}
			if te.Entry < 0 || te.Entry >= len(l.Entries) {
				t.Fatalf("error names entry %d of %d: %v", te.Entry, len(l.Entries), err)
			}
			return
		}
		for _, s := range tr.Sessions {
			if s.SID != "" && tr.Session(s.SID) != s {
				t.Fatalf("sid %q names two sessions", s.SID)
			}
			for i, e := range s.Events {
				if e.Entry < 0 || e.Entry >= len(l.Entries) {
					t.Fatalf("event %d names entry %d of %d", i, e.Entry, len(l.Entries))
				}
				if i > 0 && e.Time.Before(s.Events[i-1].Time) {
					t.Fatalf("event %d goes back in time", i)
				}
			}
			_ = s.Stream("", ClientToServer)
			_ = s.ServerEvents()
			for _, a := range s.AppActions() {
				if a.Event < 0 || a.Event >= len(s.Events) {
					t.Fatalf("action names event %d of %d", a.Event, len(s.Events))
				}
			}
			if end := s.Ending(); end.Event >= len(s.Events) {
				t.Fatalf("ending names event %d of %d", end.Event, len(s.Events))
			}
		}
		if err := tr.WriteText(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzSessionContent fuzzes the Engine.IO content of a small session —
// handshake, poll and POST bodies and a WebSocket frame — inside a HAR
// that is otherwise well formed, which byte-level fuzzing of whole HAR
// documents rarely reaches.
func FuzzSessionContent(f *testing.F) {
	f.Add(uint8(4), []byte(handshakeV4), []byte("4hi\x1ebAQID"), "text/plain", []byte("4x\x1e2"), []byte("2probe"), false)
	f.Add(uint8(3), []byte(`78:0{"sid":"S1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}2:40`),
		[]byte{0, 1, 2, 0xff, '4', 'b', 'i', 'n', ' ', 'f', 'o', 'l', 'l', 'o', 'w', 's', 1, 4, 0xff, 4, 1, 2, 3},
		"application/octet-stream", []byte("6:4hello1:2"), []byte{4, 1, 2}, true)
	f.Add(uint8(4), []byte("9"), []byte(""), "", []byte(""), []byte(""), true)
	f.Fuzz(func(t *testing.T, eio uint8, open, poll []byte, pollMime string, postBody, frameData []byte, binary bool) {
		q := "EIO=" + strconv.Itoa(int(eio%6)) + "&transport=polling"
		hs := get(0, q, 200, string(open))
		sid := "S1"
		if pkts, err := codec.DecodePayload(nil, codec.Revision(eio%6), open, false); err == nil && len(pkts) > 0 {
			if h, err := codec.ParseHandshake(pkts[0].Data); err == nil {
				sid = h.SID
			}
		}
		q += "&sid=" + url.QueryEscape(sid)
		pollEntry := get(5, q, 200, "")
		pollEntry.Response.Content = har.Content{MimeType: pollMime, Text: base64.StdEncoding.EncodeToString(poll),
			Encoding: har.EncodingBase64}
		postEntry := post(6, q, "")
		postEntry.Request.PostData = &har.PostData{MimeType: pollMime,
			Text: base64.StdEncoding.EncodeToString(postBody), Encoding: har.EncodingBase64}
		wsEntry := ws(7, strings.Replace(q, "polling", "websocket", 1), 101, frame{har.Send, 8, "2probe", false},
			frame{har.Receive, 9, string(frameData), binary})
		for _, entries := range [][]har.Entry{
			{hs, pollEntry, postEntry, wsEntry},
			{wsEntry},
			{ws(0, "EIO=4&transport=websocket", 101, frame{har.Receive, 1, string(open), false},
				frame{har.Receive, 2, string(frameData), binary})},
		} {
			tr, err := FromHAR(&har.Log{Entries: entries})
			if err != nil {
				var te *Error
				if !errors.As(err, &te) {
					t.Fatalf("FromHAR error is not an *Error: %v", err)
				}
				continue
			}
			for _, s := range tr.Sessions {
				_ = s.AppActions()
				_ = s.Ending()
			}
			if err := tr.WriteText(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
	})
}
