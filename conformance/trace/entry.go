package trace

import (
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
)

// pollingEvents turns a polling GET or POST into its request and response
// events.
func pollingEvents(r *request) ([]Event, error) {
	e := r.entry
	var evs []Event
	if r.method == "GET" {
		evs = append(evs, Event{Time: e.StartedDateTime, Transport: Polling, Dir: ClientToServer, Kind: PollRequest})
	} else {
		body, err := e.Request.Body()
		if err != nil {
			return nil, &Error{Entry: r.index, What: "polling POST body", Err: err}
		}
		var mimeType string
		if e.Request.PostData != nil {
			mimeType = e.Request.PostData.MimeType
		}
		pkts, err := decodePayload(r.rev, body, mimeType)
		if err != nil {
			return nil, &Error{Entry: r.index, What: "polling POST body", Err: err}
		}
		evs = append(evs, Event{Time: e.StartedDateTime, Transport: Polling, Dir: ClientToServer,
			Kind: PostRequest, Packets: pkts})
	}

	status := e.Response.Status
	at := e.ResponseTime()
	switch {
	case status == 0:
		// No response recorded: the request failed, was aborted or was
		// still pending when the HAR was saved.
	case status < 200 || status > 299:
		body, err := e.Response.Body()
		if err != nil {
			return nil, &Error{Entry: r.index, What: "polling " + r.method + " response body", Err: err}
		}
		evs = append(evs, Event{Time: at, Transport: Polling, Dir: ServerToClient, Kind: HTTPError,
			Status: status, Body: body})
	case r.method == "POST":
		evs = append(evs, Event{Time: at, Transport: Polling, Dir: ServerToClient, Kind: PostResponse,
			Status: status})
	default:
		body, err := e.Response.Body()
		if err != nil {
			return nil, &Error{Entry: r.index, What: "polling GET response body", Err: err}
		}
		pkts, err := decodePayload(r.rev, body, e.Response.Content.MimeType)
		if err != nil {
			return nil, &Error{Entry: r.index, What: "polling GET response body", Err: err}
		}
		evs = append(evs, Event{Time: at, Transport: Polling, Dir: ServerToClient, Kind: PollResponse,
			Status: status, Packets: pkts})
	}
	return evs, nil
}

// errEmptyBody reports a polling body the HAR holds no bytes of: either
// the tool did not save it or the peer sent an empty payload, which the
// protocol does not allow.
var errEmptyBody = errors.New("empty body (not recorded?)")

// decodePayload decodes a polling body. In revision 3 an
// application/octet-stream body is a binary payload.
func decodePayload(rev codec.Revision, body []byte, mimeType string) ([]codec.Packet, error) {
	if len(body) == 0 {
		return nil, errEmptyBody
	}
	return codec.DecodePayload(nil, rev, body, rev == codec.V3 && isOctetStream(mimeType))
}

func isOctetStream(mimeType string) bool {
	mt, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		mt, _, _ = strings.Cut(mimeType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt == "application/octet-stream"
}

// websocketEvents turns a WebSocket entry into its open, frame and close
// events, or an HTTPError when the opening handshake failed.
func websocketEvents(r *request) ([]Event, error) {
	e := r.entry
	status := e.Response.Status
	msgs := e.WebSocketMessages
	at := e.ResponseTime()
	if status != 101 && !(status == 0 && len(msgs) > 0) {
		body, err := e.Response.Body()
		if err != nil {
			return nil, &Error{Entry: r.index, What: "websocket handshake response body", Err: err}
		}
		return []Event{{Time: at, Transport: WebSocket, Dir: ServerToClient, Kind: HTTPError,
			Status: status, Body: body}}, nil
	}
	if len(msgs) > 0 {
		// Tools disagree on what an entry's timings cover for a
		// WebSocket; the socket was open by its first frame at the latest.
		if first := msgs[0].At(); first.Before(at) {
			at = first
		}
	}
	evs := make([]Event, 0, len(msgs)+2)
	evs = append(evs, Event{Time: at, Transport: WebSocket, Dir: ServerToClient, Kind: WSOpen, Status: status})
	end := e.StartedDateTime.Add(har.Millis(e.Time))
	for j := range msgs {
		m := &msgs[j]
		what := "websocket message " + strconv.Itoa(j)
		data, err := m.Payload()
		if err != nil {
			return nil, &Error{Entry: r.index, What: what, Err: err}
		}
		p, err := codec.DecodeFrame(r.rev, data, m.Binary())
		if err != nil {
			return nil, &Error{Entry: r.index, What: what, Err: err}
		}
		dir := ClientToServer
		switch m.Type {
		case har.Send:
		case har.Receive:
			dir = ServerToClient
		default:
			return nil, &Error{Entry: r.index, What: what, Err: fmt.Errorf("message type %q", m.Type)}
		}
		t := m.At()
		if t.After(end) {
			end = t
		}
		evs = append(evs, Event{Time: t, Transport: WebSocket, Dir: dir, Kind: WSFrame, Packets: []codec.Packet{p}})
	}
	return append(evs, Event{Time: end, Transport: WebSocket, Kind: WSClose}), nil
}
