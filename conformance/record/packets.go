package record

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
)

// Packets builds a HAR from the packets a client reports, one by one, as
// eio's client does through its OnPacket handler; eio connect -record
// uses it. It needs no proxy, but it knows packets only, not requests: each
// polling packet becomes a request of its own (a GET answered with it, or
// a POST carrying it), and every WebSocket packet a frame of one WebSocket
// entry. Package trace reads the packet streams back exactly as they
// went, which is what a replay compares; batching and HTTP details are not
// recorded. Packets is safe for concurrent use.
type Packets struct {
	mu      sync.Mutex
	base    url.URL
	rev     codec.Revision
	now     func() time.Time
	sid     string
	entries []har.Entry
	ws      int // index of the WebSocket entry, -1 before one
	seq     int
}

// NewPackets returns a recorder for a session with the server at rawURL
// (scheme and host), on the Engine.IO path (empty means "/engine.io/"),
// speaking revision rev.
func NewPackets(rawURL, path string, rev codec.Revision) (*Packets, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	}
	if path == "" {
		path = "/engine.io/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	q := u.Query()
	for _, k := range []string{"EIO", "transport", "sid", "t"} {
		q.Del(k)
	}
	return &Packets{base: url.URL{Scheme: u.Scheme, Host: u.Host, Path: path, RawQuery: q.Encode()},
		rev: rev, now: time.Now, ws: -1}, nil
}

// url returns the request URL of transport, with the sid once known.
func (r *Packets) url(transport string) string {
	u := r.base
	q := u.Query()
	q.Set("EIO", r.rev.String())
	q.Set("transport", transport)
	if r.sid != "" {
		q.Set("sid", r.sid)
	}
	r.seq++
	if transport == "polling" {
		q.Set("t", "r"+strconv.Itoa(r.seq))
	} else if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Packet records one packet: sent by the client (sent) or received, on
// the named transport ("polling" or "websocket").
func (r *Packets) Packet(sent bool, transport string, p codec.Packet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if transport == "websocket" {
		r.frame(now, sent, p)
		return
	}
	body := codec.AppendPayload(nil, r.rev, []codec.Packet{p})
	mime := "text/plain; charset=UTF-8"
	e := har.Entry{StartedDateTime: now, ResourceType: "xhr",
		Request:  har.Request{Method: "GET", URL: r.url("polling"), HTTPVersion: "HTTP/1.1", HeadersSize: -1},
		Response: har.Response{Status: 200, StatusText: "OK", HTTPVersion: "HTTP/1.1", HeadersSize: -1, BodySize: int64(len(body))},
		Timings:  har.Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}}
	if sent {
		e.Request.Method = "POST"
		e.Request.PostData = &har.PostData{MimeType: mime, Text: string(body)}
		e.Request.BodySize = int64(len(body))
		e.Response.Content = har.Content{Size: 2, MimeType: "text/html", Text: "ok"}
	} else {
		e.Response.Content = har.Content{Size: int64(len(body)), MimeType: mime, Text: string(body)}
		r.handshake(p)
	}
	r.entries = append(r.entries, e)
}

// handshake notes the sid of an open packet.
func (r *Packets) handshake(p codec.Packet) {
	if p.Type == codec.Open && r.sid == "" {
		if hs, err := codec.ParseHandshake(p.Data); err == nil {
			r.sid = hs.SID
		}
	}
}

func (r *Packets) frame(now time.Time, sent bool, p codec.Packet) {
	if r.ws < 0 {
		r.entries = append(r.entries, har.Entry{StartedDateTime: now, ResourceType: "websocket",
			Request:  har.Request{Method: "GET", URL: r.url("websocket"), HTTPVersion: "HTTP/1.1", HeadersSize: -1},
			Response: har.Response{Status: 101, StatusText: "Switching Protocols", HTTPVersion: "HTTP/1.1", HeadersSize: -1},
			Timings:  har.Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}})
		r.ws = len(r.entries) - 1
	}
	if !sent {
		r.handshake(p)
	}
	data, bin := codec.AppendFrame(nil, r.rev, p)
	m := har.WebSocketMessage{Type: har.Receive, Time: har.EpochSeconds(now), Opcode: har.OpText, Data: string(data)}
	if sent {
		m.Type = har.Send
	}
	if bin {
		m.Opcode = har.OpBinary
		m.Data = base64.StdEncoding.EncodeToString(data)
	}
	e := &r.entries[r.ws]
	e.WebSocketMessages = append(e.WebSocketMessages, m)
	e.Time = ms(now.Sub(e.StartedDateTime))
}

// End records that the session ended now, closed by the server or by the
// client: the WebSocket entry, if any, gets the comment the replay reads.
func (r *Packets) End(byServer bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ws < 0 {
		return
	}
	e := &r.entries[r.ws]
	e.Time = ms(r.now().Sub(e.StartedDateTime))
	e.Comment = ClosedByClient + " (recorded from the client's packets)"
	if byServer {
		e.Comment = ClosedByServer + " (recorded from the client's packets)"
	}
}

// HAR returns what was recorded so far.
func (r *Packets) HAR() *har.Log {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := &har.Log{Version: har.Version, Comment: "recorded from the client's packets (eio connect -record)"}
	for _, e := range r.entries {
		e.WebSocketMessages = append([]har.WebSocketMessage(nil), e.WebSocketMessages...)
		l.Entries = append(l.Entries, e)
	}
	return l
}

// WriteFile writes [Packets.HAR] to the file called name.
func (r *Packets) WriteFile(name string) error { return har.WriteFile(name, r.HAR()) }
