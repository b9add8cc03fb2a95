package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/trace"
)

// maxBody bounds a polling POST body the replay server reads.
const maxBody = 64 << 20

// server plays the recorded server. The driver queues what it sends; the
// handlers deliver it on the transport that carries the session and feed
// every client packet to the checker.
type server struct {
	c     *Case
	rev   codec.Revision
	chk   *checker
	bell  *bell
	speed float64
	ctx   context.Context // ends with the replay
	wg    sync.WaitGroup  // WebSocket handlers

	mu          sync.Mutex
	sessQ       []item // session packets for the carrying transport
	probeQ      []item // packets for the probe WebSocket (3probe)
	pollWaiting bool
	wsActive    bool // the WebSocket carries the session
	conn        *ws.Conn
	closeWS     bool // close the WebSocket once its queue is written
	errs        map[string]step
	wsPlan      []wsOutcome // answers to the coming WebSocket requests
	handshakes  int
}

// item is one thing queued for the client: a packet, or raw bytes the
// recorded server sent that the codec rejects.
type item struct {
	p   codec.Packet
	raw *rawData
}

// takePoll removes from q what one poll response carries: the packets up
// to the first raw item, or that raw item alone.
func takePoll(q []item) (pkts []codec.Packet, raw *rawData, rest []item) {
	if len(q) > 0 && q[0].raw != nil {
		return nil, q[0].raw, q[1:]
	}
	i := 0
	for ; i < len(q) && q[i].raw == nil; i++ {
		pkts = append(pkts, q[i].p)
	}
	return pkts, nil, q[i:]
}

func newServer(ctx context.Context, c *Case, chk *checker, b *bell, speed float64) *server {
	return &server{c: c, rev: c.Session.Revision, chk: chk, bell: b, speed: speed, ctx: ctx,
		errs: map[string]step{}, wsPlan: c.wsOutcomes()}
}

// ServeHTTP answers the client's requests as the recorded server would.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sess := s.c.Session
	q := r.URL.Query()
	if r.URL.Path != sess.Path {
		http.NotFound(w, r)
		return
	}
	transport, sid := q.Get("transport"), q.Get("sid")
	if q.Get("EIO") != sess.Revision.String() {
		s.chk.diverge(&Divergence{Transport: transport, Index: -1,
			Msg: fmt.Sprintf("request with EIO=%q, the recording is revision %d", q.Get("EIO"), sess.Revision)})
		writeError(w, http.StatusBadRequest, 5, "Unsupported protocol version")
		return
	}
	if sid == "" {
		s.mu.Lock()
		s.handshakes++
		n := s.handshakes
		s.mu.Unlock()
		switch {
		case n > 1:
			s.chk.diverge(&Divergence{Transport: transport, Index: -1, Msg: "a second handshake request"})
			writeError(w, http.StatusBadRequest, 3, "Bad request")
			return
		case transport != sess.HandshakeTransport:
			s.chk.diverge(&Divergence{Transport: transport, Index: -1,
				Msg: fmt.Sprintf("handshake on %s, the recording has it on %q", transport, sess.HandshakeTransport)})
			writeError(w, http.StatusBadRequest, 3, "Bad request")
			return
		}
	} else if sid != sess.SID {
		s.chk.diverge(&Divergence{Transport: transport, Index: -1,
			Msg: fmt.Sprintf("request with sid %q, the recorded session is %q", sid, sess.SID)})
		writeError(w, http.StatusBadRequest, 1, "Session ID unknown")
		return
	}
	switch {
	case transport == trace.Polling && r.Method == http.MethodGet:
		s.poll(w, r)
	case transport == trace.Polling && r.Method == http.MethodPost:
		s.post(w, r)
	case transport == trace.WebSocket && r.Method == http.MethodGet:
		s.websocket(w, r, sid == "")
	default:
		s.chk.diverge(&Divergence{Transport: transport, Index: -1,
			Msg: fmt.Sprintf("unexpected %s request on transport %q", r.Method, transport)})
		writeError(w, http.StatusBadRequest, 0, "Transport unknown")
	}
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	body, _ := json.Marshal(map[string]any{"code": code, "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// takeError returns the recorded error the next request of kind gets.
func (s *server) takeError(kind string) (step, bool) {
	st, ok := s.errs[kind]
	if ok {
		delete(s.errs, kind)
	}
	return st, ok
}

func writeRecordedError(w http.ResponseWriter, st step) {
	status := st.status
	if status < 100 {
		status = http.StatusBadGateway // a request the recording shows unanswered
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(st.body)
}

// poll answers a long-poll GET with the session packets queued for the
// client, waiting for some.
func (s *server) poll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.pollWaiting {
		s.mu.Unlock()
		s.chk.diverge(&Divergence{Transport: trace.Polling, Index: -1, Msg: "a second poll while one is pending"})
		writeError(w, http.StatusBadRequest, 3, "Bad request")
		return
	}
	s.pollWaiting = true
	s.bell.ring() // the driver may be waiting for a poll to send a noop on
	for {
		if st, ok := s.takeError("GET"); ok {
			s.pollWaiting = false
			s.mu.Unlock()
			writeRecordedError(w, st)
			return
		}
		if s.wsActive {
			// The session moved on: release the poll, as servers do.
			s.pollWaiting = false
			s.mu.Unlock()
			s.writePayload(w, []codec.Packet{{Type: codec.Noop}})
			return
		}
		if len(s.sessQ) > 0 {
			pkts, raw, rest := takePoll(s.sessQ)
			s.sessQ = rest
			s.pollWaiting = false
			s.mu.Unlock()
			if raw != nil {
				ct := "text/plain; charset=UTF-8"
				if raw.binary {
					ct = "application/octet-stream"
				}
				w.Header().Set("Content-Type", ct)
				_, _ = w.Write(raw.data)
				return
			}
			s.writePayload(w, pkts)
			return
		}
		wake := s.bell.wait()
		s.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
			s.mu.Lock()
			s.pollWaiting = false
			s.mu.Unlock()
			return
		case <-s.ctx.Done():
			s.mu.Lock()
			s.pollWaiting = false
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
	}
}

func (s *server) writePayload(w http.ResponseWriter, pkts []codec.Packet) {
	binary := false
	if s.rev == codec.V3 {
		for _, p := range pkts {
			binary = binary || p.Binary
		}
	}
	var body []byte
	if binary {
		body = codec.AppendBinaryPayload(nil, pkts)
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		body = codec.AppendPayload(nil, s.rev, pkts)
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	}
	_, _ = w.Write(body)
}

// post reads the packets of a polling POST and checks them.
func (s *server) post(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st, failed := s.takeError("POST")
	s.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	binary := strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream")
	pkts, err := codec.DecodePayload(nil, s.rev, body, binary)
	if err != nil {
		s.chk.diverge(&Divergence{Transport: trace.Polling, Index: s.chk.count(trace.Polling),
			Msg: fmt.Sprintf("undecodable POST body %q: %v", body, err)})
		writeError(w, http.StatusBadRequest, 3, "Bad request")
		return
	}
	for _, p := range pkts {
		s.clientPacket(trace.Polling, p)
	}
	if failed {
		writeRecordedError(w, st)
		return
	}
	w.Header().Set("Content-Type", "text/html")
	_, _ = io.WriteString(w, "ok")
}

func (s *server) clientPacket(transport string, p codec.Packet) {
	if transport == trace.WebSocket && p.Type == codec.Upgrade {
		s.mu.Lock()
		s.wsActive = true
		s.mu.Unlock()
	}
	s.chk.packet(transport, p)
}

// send queues packets the recorded server sent on transport.
func (s *server) send(transport string, pkts []codec.Packet) {
	s.mu.Lock()
	for _, p := range pkts {
		switch {
		case p.Type == codec.Pong && p.IsProbe() && transport == trace.WebSocket:
			s.probeQ = append(s.probeQ, item{p: p})
		case p.Type == codec.Noop && transport == trace.Polling:
			// A noop only releases a waiting poll.
			if s.pollWaiting && !s.wsActive {
				s.sessQ = append(s.sessQ, item{p: p})
			}
		case p.Type == codec.Open:
			s.sessQ = append(s.sessQ, item{p: s.scaleOpen(p)})
		default:
			s.sessQ = append(s.sessQ, item{p: p})
		}
	}
	s.mu.Unlock()
	s.bell.ring()
}

// sendRaw queues bytes the codec rejects, for the session's transport.
func (s *server) sendRaw(r *rawData) {
	s.mu.Lock()
	s.sessQ = append(s.sessQ, item{raw: r})
	s.mu.Unlock()
	s.bell.ring()
}

// scaleOpen divides the heartbeat timings of an open packet by the
// replay's speed, so that the client's timers run at the replay's pace.
func (s *server) scaleOpen(p codec.Packet) codec.Packet {
	if s.speed == 1 || math.IsInf(s.speed, 1) {
		return p
	}
	var m map[string]any
	if json.Unmarshal(p.Data, &m) != nil {
		return p
	}
	for _, k := range []string{"pingInterval", "pingTimeout"} {
		if v, ok := m[k].(float64); ok {
			m[k] = math.Floor(v / s.speed)
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return p
	}
	return codec.Packet{Type: codec.Open, Data: data}
}

// fail makes the next polling request of the step's method get the
// recorded error.
func (s *server) fail(st step) {
	s.mu.Lock()
	s.errs[st.method] = st
	s.mu.Unlock()
	s.bell.ring()
}

// closeWebSocket closes the WebSocket from the server side once what is
// queued for it is written.
func (s *server) closeWebSocket() {
	s.mu.Lock()
	s.closeWS = true
	s.mu.Unlock()
	s.bell.ring()
}

// shutdown ends the WebSocket and waits for its handler and writer. The
// replay's context is done and the HTTP server closed by then, so no
// handler starts any more.
func (s *server) shutdown() {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		_ = conn.CloseNow()
	}
	s.wg.Wait()
}
