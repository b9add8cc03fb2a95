package trace

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
)

// request is one HAR entry recognised as Engine.IO traffic.
type request struct {
	index     int
	entry     *har.Entry
	rev       codec.Revision
	transport string
	method    string
	sid       string
	path      string
	query     url.Values // the application's parameters only
}

// protocolParams are the query parameters Engine.IO itself sets.
var protocolParams = []string{"EIO", "transport", "sid", "t", "b64"}

// FromHAR builds the trace of the Engine.IO sessions in l.
//
// An entry is Engine.IO traffic when its URL has both the EIO and the
// transport query parameters; other entries, and CORS preflights, are
// skipped. Entries without sid open sessions (see the package
// documentation); entries with a sid join the session the handshake opened,
// or a session without handshake when the HAR starts in the middle of one.
// Sessions are ordered by start time.
func FromHAR(l *har.Log) (*Trace, error) {
	if l == nil {
		return nil, errors.New("trace: nil HAR log")
	}
	var reqs []*request
	for i := range l.Entries {
		r, err := classify(i, &l.Entries[i])
		if err != nil {
			return nil, err
		}
		if r != nil {
			reqs = append(reqs, r)
		}
	}

	b := &builder{bySID: map[string]*sessionBuilder{}}
	// Handshakes first, so that entries listed before their handshake
	// (HAR order is only roughly time order) still find their session.
	for _, r := range reqs {
		if r.sid == "" {
			if err := b.handshake(r); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range reqs {
		if r.sid != "" {
			if err := b.join(r); err != nil {
				return nil, err
			}
		}
	}
	return b.finish(), nil
}

// classify returns the Engine.IO request e is, nil when it is not
// Engine.IO traffic, or an error when it claims to be but cannot be.
func classify(i int, e *har.Entry) (*request, error) {
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return nil, nil // not a URL we can recognise as Engine.IO
	}
	q := u.Query()
	if !q.Has("EIO") || !q.Has("transport") {
		return nil, nil
	}
	method := strings.ToUpper(e.Request.Method)
	if method == "OPTIONS" || method == "HEAD" {
		return nil, nil
	}
	r := &request{index: i, entry: e, method: method, sid: q.Get("sid"), path: u.Path}
	fail := func(format string, args ...any) error {
		return &Error{Entry: i, What: "request URL", Err: fmt.Errorf(format, args...)}
	}
	n, err := strconv.Atoi(q.Get("EIO"))
	if err != nil || !codec.Revision(n).Valid() {
		return nil, fail("unsupported protocol revision EIO=%q", q.Get("EIO"))
	}
	r.rev = codec.Revision(n)
	switch r.transport = q.Get("transport"); r.transport {
	case Polling:
		if q.Has("j") {
			return nil, fail("JSONP polling is not supported")
		}
		if method != "GET" && method != "POST" {
			return nil, fail("polling request with method %s", method)
		}
		if method == "POST" && r.sid == "" {
			return nil, fail("polling POST without sid")
		}
	case WebSocket:
		if method != "GET" {
			return nil, fail("websocket request with method %s", method)
		}
	default:
		return nil, fail("unsupported transport %q", r.transport)
	}
	for _, k := range protocolParams {
		q.Del(k)
	}
	r.query = q
	return r, nil
}

type builder struct {
	sessions []*sessionBuilder
	bySID    map[string]*sessionBuilder
}

// sessionBuilder collects a session's events with the keys that order
// them.
type sessionBuilder struct {
	s      *Session
	first  int // index of the session's first entry, for stable ordering
	events []keyedEvent
}

type keyedEvent struct {
	Event
	seq int // position within its entry
}

// newSession starts a session from its first request.
func (b *builder) newSession(r *request) *sessionBuilder {
	sb := &sessionBuilder{
		s:     &Session{SID: r.sid, Revision: r.rev, Path: r.path, Query: r.query},
		first: r.index,
	}
	b.sessions = append(b.sessions, sb)
	return sb
}

// handshake opens a session from a request without sid.
func (b *builder) handshake(r *request) error {
	var evs []Event
	var err error
	if r.transport == Polling {
		evs, err = pollingEvents(r)
	} else {
		evs, err = websocketEvents(r)
	}
	if err != nil {
		return err
	}
	sb := b.newSession(r)
	sb.add(r.index, evs)
	open, ok := firstServerPacket(evs)
	if !ok {
		return nil // failed or unanswered handshake: a session without sid
	}
	what := "handshake"
	if open.Type != codec.Open {
		return &Error{Entry: r.index, What: what, Err: fmt.Errorf("first server packet is %s, not open", open.Type)}
	}
	h, err := codec.ParseHandshake(open.Data)
	if err != nil {
		return &Error{Entry: r.index, What: what, Err: err}
	}
	if prev, dup := b.bySID[h.SID]; dup {
		return &Error{Entry: r.index, What: what,
			Err: fmt.Errorf("sid %q was already opened by entries[%d]", h.SID, prev.first)}
	}
	sb.s.SID = h.SID
	sb.s.Handshake = h
	sb.s.HandshakeTransport = r.transport
	b.bySID[h.SID] = sb
	return nil
}

// firstServerPacket returns the first packet the server sent in evs.
func firstServerPacket(evs []Event) (codec.Packet, bool) {
	for _, e := range evs {
		if e.Dir == ServerToClient && len(e.Packets) > 0 {
			return e.Packets[0], true
		}
	}
	return codec.Packet{}, false
}

// join adds a request with sid to its session.
func (b *builder) join(r *request) error {
	sb := b.bySID[r.sid]
	if sb == nil {
		sb = b.newSession(r)
		b.bySID[r.sid] = sb
	}
	switch s := sb.s; {
	case s.Revision != r.rev:
		return &Error{Entry: r.index, What: "request URL",
			Err: fmt.Errorf("EIO=%d but session %q is revision %d", r.rev, r.sid, s.Revision)}
	case s.Path != r.path:
		return &Error{Entry: r.index, What: "request URL",
			Err: fmt.Errorf("path %q but session %q is on %q", r.path, r.sid, s.Path)}
	}
	var evs []Event
	var err error
	if r.transport == Polling {
		evs, err = pollingEvents(r)
	} else {
		evs, err = websocketEvents(r)
	}
	if err != nil {
		return err
	}
	sb.add(r.index, evs)
	if r.index < sb.first {
		sb.first = r.index
	}
	return nil
}

// add appends one entry's events, making their times non-decreasing so
// that ordering by time keeps the entry's own order.
func (sb *sessionBuilder) add(entry int, evs []Event) {
	var last time.Time
	for i, e := range evs {
		if i > 0 && e.Time.Before(last) {
			e.Time = last
		}
		last = e.Time
		e.Entry = entry
		sb.events = append(sb.events, keyedEvent{Event: e, seq: i})
	}
}

// finish orders each session's events and the sessions themselves.
func (b *builder) finish() *Trace {
	t := &Trace{Sessions: make([]*Session, 0, len(b.sessions))}
	for _, sb := range b.sessions {
		evs := sb.events
		sort.SliceStable(evs, func(i, j int) bool {
			a, b := &evs[i], &evs[j]
			if !a.Time.Equal(b.Time) {
				return a.Time.Before(b.Time)
			}
			if a.Entry != b.Entry {
				return a.Entry < b.Entry
			}
			return a.seq < b.seq
		})
		s := sb.s
		s.Events = make([]Event, len(evs))
		for i := range evs {
			s.Events[i] = evs[i].Event
		}
		if len(s.Events) > 0 {
			s.Start = s.Events[0].Time
			s.End = s.Events[len(s.Events)-1].Time
		}
		t.Sessions = append(t.Sessions, s)
	}
	firsts := make(map[*Session]int, len(b.sessions))
	for _, sb := range b.sessions {
		firsts[sb.s] = sb.first
	}
	sort.SliceStable(t.Sessions, func(i, j int) bool {
		a, b := t.Sessions[i], t.Sessions[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return firsts[a] < firsts[b]
	})
	return t
}
