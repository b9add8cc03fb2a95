package replay

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/har"
	"github.com/eio-go/eio/conformance/record"
	"github.com/eio-go/eio/conformance/trace"
)

// Case is one recorded session, ready to replay.
type Case struct {
	// Name labels the case in reports, e.g. "v4-upgrade.har#1".
	Name string
	// Session is the recorded session.
	Session *trace.Session

	closedBy map[int]side   // by HAR entry: who ended a WebSocket
	methods  map[int]string // by HAR entry: the request method
	raws     map[rawKey]rawData
}

// side is one end of a connection.
type side int

const (
	sideUnknown side = iota
	sideClient
	sideServer
)

// NewCase returns a case for a session built without its HAR. What only
// the HAR says is then unknown: a WebSocket that ends without a close
// packet is taken to be closed by the application.
func NewCase(s *trace.Session) *Case {
	return &Case{Name: s.SID, Session: s, closedBy: map[int]side{}, methods: map[int]string{}, raws: map[rawKey]rawData{}}
}

// Load returns one case per Engine.IO session of l, in the trace's order.
//
// A server payload after the handshake that the codec rejects (an unknown
// packet type, broken framing) does not make Load fail: the replay sends
// those very bytes, to check how the client takes them. The session shows
// a noop in its place.
func Load(l *har.Log) ([]*Case, error) {
	tr, raws, err := tolerate(l)
	if err != nil {
		return nil, err
	}
	closedBy := map[int]side{}
	methods := map[int]string{}
	for i := range l.Entries {
		e := &l.Entries[i]
		methods[i] = strings.ToUpper(e.Request.Method)
		switch {
		case strings.HasPrefix(e.Comment, record.ClosedByServer):
			closedBy[i] = sideServer
		case strings.HasPrefix(e.Comment, record.ClosedByClient):
			closedBy[i] = sideClient
		}
	}
	cases := make([]*Case, 0, len(tr.Sessions))
	for i, s := range tr.Sessions {
		cases = append(cases, &Case{
			Name:     fmt.Sprintf("session %d (sid %q)", i+1, s.SID),
			Session:  s,
			closedBy: closedBy,
			methods:  methods,
			raws:     raws,
		})
	}
	return cases, nil
}

// LoadFile reads the HAR file called name and returns its cases, named
// after the file.
func LoadFile(name string) ([]*Case, error) {
	l, err := har.ReadFile(name)
	if err != nil {
		return nil, err
	}
	cases, err := Load(l)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(name)
	for i, c := range cases {
		c.Name = fmt.Sprintf("%s#%d", base, i+1)
	}
	return cases, nil
}

// stepKind is what the replay does at a step.
type stepKind int

const (
	stepServer        stepKind = iota + 1 // send packets to the client
	stepHTTPError                         // answer the next request with an error
	stepServerCloseWS                     // close the WebSocket from the server side
	stepAppSend                           // the application sends a message
	stepAppDisconnect                     // the application disconnects
)

var stepNames = [...]string{"", "server", "http_error", "server_close_ws", "app_send", "app_disconnect"}

func (k stepKind) String() string { return stepNames[k] }

// step is one thing the replay does, in recorded order, with the
// conditions the recording shows it waited for.
type step struct {
	kind      stepKind
	event     int       // index in Session.Events
	at        time.Time // recorded time
	transport string
	packets   []codec.Packet
	raw       *rawData // bytes sent instead of packets (see tolerate)
	status    int
	body      []byte
	method    string
	// need is, per transport, how many client packets the recording shows
	// before this step; the step waits until they have arrived.
	need map[string]int
	// msgs is how many server messages the application had received
	// before an app step.
	msgs int
	// anchor is what the step followed in the recording: the previous
	// step (prev >= 0) or the last client packet before it (client),
	// whichever came later.
	prev     int
	client   clientRef
	anchorAt time.Time
}

// clientRef names one client packet: its transport and its index in that
// transport's stream; idx -1 means none.
type clientRef struct {
	transport string
	idx       int
}

// script turns the session into the steps of its replay.
func (c *Case) script() []step {
	s := c.Session
	var steps []step
	count := map[string]int{}
	msgs := 0
	last := clientRef{idx: -1}
	var lastAt time.Time
	if len(s.Events) > 0 {
		lastAt = s.Events[0].Time
	}
	serverClosed, disconnected := false, false
	ending := s.Ending()
	frames := map[int]int{} // WebSocket messages seen per HAR entry
	add := func(st step) {
		st.need = copyCounts(count)
		st.msgs = msgs
		st.prev = len(steps) - 1
		st.client = last
		st.anchorAt = lastAt
		if st.prev >= 0 && steps[st.prev].at.After(st.anchorAt) {
			st.anchorAt = steps[st.prev].at
		}
		steps = append(steps, st)
	}
	for i := range s.Events {
		e := &s.Events[i]
		raw := c.rawOf(e, frames)
		switch {
		case raw != nil:
			add(step{kind: stepServer, event: i, at: e.Time, transport: e.Transport, raw: raw})
			// It stands for what the recorded application received there:
			// what it did next waits for the client to take it.
			msgs++
		case e.Dir == trace.ClientToServer:
			for _, p := range e.Packets {
				switch {
				case p.Type == codec.Message && !disconnected:
					add(step{kind: stepAppSend, event: i, at: e.Time, packets: []codec.Packet{p}})
				case p.Type == codec.Close && !serverClosed && !disconnected:
					disconnected = true
					add(step{kind: stepAppDisconnect, event: i, at: e.Time})
				}
			}
			// Packets of one request or frame do not wait for each other.
			for range e.Packets {
				last = clientRef{transport: e.Transport, idx: count[e.Transport]}
				count[e.Transport]++
				lastAt = e.Time
			}
		case e.Dir == trace.ServerToClient && e.Kind == trace.HTTPError && e.Transport == trace.WebSocket:
			// Answers a WebSocket request whenever it comes: see wsOutcomes.
		case e.Dir == trace.ServerToClient && e.Kind == trace.HTTPError:
			add(step{kind: stepHTTPError, event: i, at: e.Time, transport: e.Transport,
				status: e.Status, body: e.Body, method: c.method(e)})
		case e.Dir == trace.ServerToClient && len(e.Packets) > 0:
			add(step{kind: stepServer, event: i, at: e.Time, transport: e.Transport, packets: e.Packets})
			for _, p := range e.Packets {
				switch p.Type {
				case codec.Message:
					msgs++
				case codec.Close:
					serverClosed = true
				}
			}
		case e.Kind == trace.WSClose && ending.Event == i && ending.Kind == trace.EndTransportClosed:
			if c.closedBy[e.Entry] == sideServer {
				add(step{kind: stepServerCloseWS, event: i, at: e.Time, transport: trace.WebSocket})
			} else if !disconnected && !serverClosed {
				disconnected = true
				add(step{kind: stepAppDisconnect, event: i, at: e.Time})
			}
		}
	}
	return steps
}

// wsOutcome is how the recorded server answered one WebSocket request:
// it accepted it, refused it with an HTTP error, or never answered
// (status 0: the socket never opened).
type wsOutcome struct {
	accept bool
	status int
	body   []byte
}

// wsOutcomes lists the answers to the session's WebSocket requests, in
// order. Each answers the WebSocket request it belongs to whenever the
// client makes it, not at a recorded time.
func (c *Case) wsOutcomes() []wsOutcome {
	var out []wsOutcome
	for _, e := range c.Session.Events {
		switch {
		case e.Transport != trace.WebSocket:
		case e.Kind == trace.WSOpen:
			out = append(out, wsOutcome{accept: true})
		case e.Kind == trace.HTTPError:
			out = append(out, wsOutcome{status: e.Status, body: e.Body})
		}
	}
	return out
}

// rawOf returns the raw bytes that stand behind a server event, counting
// WebSocket messages per entry in frames.
func (c *Case) rawOf(e *trace.Event, frames map[int]int) *rawData {
	key := rawKey{e.Entry, -1}
	switch e.Kind {
	case trace.WSFrame:
		key.msg = frames[e.Entry]
		frames[e.Entry]++
	case trace.PollResponse:
	default:
		return nil
	}
	if e.Dir != trace.ServerToClient {
		return nil
	}
	if r, ok := c.raws[key]; ok {
		return &r
	}
	return nil
}

func (c *Case) method(e *trace.Event) string {
	if m, ok := c.methods[e.Entry]; ok && e.Transport == trace.Polling {
		return m
	}
	return "GET"
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// transports is the transport list the recorded application evidently
// used: WebSocket alone when the handshake ran on it, polling then
// WebSocket when the session touched both, polling alone otherwise.
func (c *Case) transports() []string {
	s := c.Session
	if s.HandshakeTransport == trace.WebSocket {
		return []string{trace.WebSocket}
	}
	for i := range s.Events {
		if s.Events[i].Transport == trace.WebSocket {
			return []string{trace.Polling, trace.WebSocket}
		}
	}
	return []string{trace.Polling}
}

// expected returns the recorded client packets per transport.
func (c *Case) expected() map[string][]codec.Packet {
	return map[string][]codec.Packet{
		trace.Polling:   c.Session.Stream(trace.Polling, trace.ClientToServer),
		trace.WebSocket: c.Session.Stream(trace.WebSocket, trace.ClientToServer),
	}
}
