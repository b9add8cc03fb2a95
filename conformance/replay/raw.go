package replay

import (
	"errors"
	"strconv"
	"strings"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
	"github.com/eio-go/eio/conformance/trace"
)

// rawKey names server bytes the codec rejects: a polling response body
// (msg -1) or WebSocket message msg of a HAR entry.
type rawKey struct {
	entry, msg int
}

// rawData is what the server sent, byte for byte.
type rawData struct {
	data   []byte
	binary bool // a binary WebSocket frame or an octet-stream body
}

// maxRaw bounds how many undecodable server payloads one HAR may hold.
const maxRaw = 64

// tolerate builds the trace of l, setting aside server payloads the codec
// rejects after the handshake: each is replaced by a noop in a copy of the
// log and kept byte for byte, so that a replay can send the very bytes a
// broken or hostile server sent (an unknown packet type, bad framing) and
// check how the client takes them. Undecodable client payloads, and a bad
// handshake, remain errors.
func tolerate(l *har.Log) (*trace.Trace, map[rawKey]rawData, error) {
	raws := map[rawKey]rawData{}
	patched := false
	for {
		tr, err := trace.FromHAR(l)
		var te *trace.Error
		var ce *codec.Error
		if err == nil || len(raws) >= maxRaw || !errors.As(err, &te) || !errors.As(err, &ce) {
			return tr, raws, err
		}
		if !patched {
			cp := *l
			cp.Entries = append([]har.Entry(nil), l.Entries...)
			l, patched = &cp, true
		}
		e := &l.Entries[te.Entry]
		switch {
		case te.What == "polling GET response body" && entryHasSID(e):
			body, berr := e.Response.Body()
			if berr != nil {
				return nil, nil, err
			}
			raws[rawKey{te.Entry, -1}] = rawData{data: body,
				binary: strings.HasPrefix(e.Response.Content.MimeType, "application/octet-stream")}
			e.Response.Content = har.Content{Size: 1, MimeType: "text/plain; charset=UTF-8", Text: "6"}
		case strings.HasPrefix(te.What, "websocket message "):
			j, aerr := strconv.Atoi(strings.TrimPrefix(te.What, "websocket message "))
			if aerr != nil || j < 0 || j >= len(e.WebSocketMessages) || e.WebSocketMessages[j].Type != har.Receive || j == 0 && !entryHasSID(e) {
				return nil, nil, err
			}
			m := e.WebSocketMessages[j]
			data, perr := m.Payload()
			if perr != nil {
				return nil, nil, err
			}
			raws[rawKey{te.Entry, j}] = rawData{data: data, binary: m.Binary()}
			e.WebSocketMessages = append([]har.WebSocketMessage(nil), e.WebSocketMessages...)
			e.WebSocketMessages[j] = har.WebSocketMessage{Type: har.Receive, Time: m.Time, Opcode: har.OpText, Data: "6"}
		default:
			return nil, nil, err
		}
	}
}

func entryHasSID(e *har.Entry) bool {
	return strings.Contains(e.Request.URL, "sid=")
}
