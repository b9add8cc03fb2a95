package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// Limits shared with the Node peers.
const (
	maxGenerated  = 256 << 20 // upper bound for cmd:binary / cmd:large / cmd:burst
	closedHistory = 100
)

// serverModule is the module whose version serverVersion reports.
const serverModule = "github.com/zishang520/socket.io/servers/engine/v3"

// serverVersion returns the engine module's version from the build info.
func serverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == serverModule {
				return serverModule + " " + d.Version
			}
		}
	}
	return serverModule + " (unknown version)"
}

// closedSession is one entry of /peer/sessions' "closed" list.
type closedSession struct {
	ID          string `json:"id"`
	Reason      string `json:"reason"`
	Description string `json:"description,omitempty"`
	Transport   string `json:"transport"`
	Protocol    int    `json:"protocol"`
}

// peer is the echo application: it tracks sessions and answers commands.
type peer struct {
	logf func(string, ...any)

	mu     sync.Mutex
	open   map[string]bool
	order  []string // open ids in connection order
	closed []closedSession
}

func newPeer(eio engine.Server, logf func(string, ...any)) *peer {
	p := &peer{logf: logf, open: map[string]bool{}}
	_ = eio.On("connection", func(args ...any) {
		if s, ok := args[0].(engine.Socket); ok {
			p.connected(s)
		}
	})
	return p
}

func (p *peer) connected(s engine.Socket) {
	id := s.Id()
	p.mu.Lock()
	p.open[id] = true
	p.order = append(p.order, id)
	p.mu.Unlock()
	p.logf("open %s transport=%s protocol=%d url=%s", id, s.Transport().Name(), s.Protocol(), s.Request().Request().URL.RequestURI())
	stats := &seqTracker{last: map[string]int{}, seen: map[string]map[int]bool{}}
	_ = s.On("upgrade", func(...any) {
		p.logf("upgrade %s transport=%s", id, s.Transport().Name())
	})
	_ = s.On("message", func(args ...any) {
		if len(args) > 0 {
			p.message(s, stats, args[0])
		}
	})
	_ = s.On("close", func(args ...any) {
		entry := closedSession{ID: id, Protocol: s.Protocol()}
		if len(args) > 0 {
			entry.Reason, _ = args[0].(string)
		}
		if len(args) > 1 {
			if err, ok := args[1].(error); ok && err != nil {
				entry.Description = err.Error()
			}
		}
		if t := s.Transport(); t != nil {
			entry.Transport = t.Name()
		}
		p.mu.Lock()
		delete(p.open, id)
		p.closed = append(p.closed, entry)
		if n := len(p.closed) - closedHistory; n > 0 {
			p.closed = append(p.closed[:0], p.closed[n:]...)
		}
		p.mu.Unlock()
		p.logf("close %s reason=%q description=%q", id, entry.Reason, entry.Description)
	})
}

func text(s string) io.Reader { return types.NewStringBufferString(s) }

func (p *peer) message(s engine.Socket, stats *seqTracker, data any) {
	var msg string
	switch d := data.(type) {
	case *types.StringBuffer:
		msg = d.String()
	case io.Reader:
		b, err := io.ReadAll(d)
		if err != nil {
			p.logf("reading binary message: %v", err)
			return
		}
		s.Send(types.NewBytesBuffer(b), nil, nil)
		return
	default:
		p.logf("message of unexpected type %T", data)
		return
	}
	switch {
	case strings.HasPrefix(msg, "seq:"):
		stats.add(msg[len("seq:"):])
	case strings.HasPrefix(msg, "cmd:"):
		p.command(s, stats, msg[len("cmd:"):])
	default:
		s.Send(text(msg), nil, nil)
	}
}

func (p *peer) command(s engine.Socket, stats *seqTracker, cmd string) {
	name, arg, _ := strings.Cut(cmd, ":")
	switch name {
	case "stats":
		b, _ := json.Marshal(stats)
		s.Send(text("stats:"+string(b)), nil, nil)
	case "close":
		s.Close(false)
	case "transport":
		s.Send(text("transport:"+s.Transport().Name()), nil, nil)
	case "handshake":
		b, _ := json.Marshal(handshakeInfo(s))
		s.Send(text("handshake:"+string(b)), nil, nil)
	case "binary", "large", "burst":
		n, err := parseCount(arg)
		if err != nil {
			s.Send(text(fmt.Sprintf("error:cmd:%s needs a count between 0 and %d, got %q", name, maxGenerated, arg)), nil, nil)
			return
		}
		switch name {
		case "binary":
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(i)
			}
			s.Send(types.NewBytesBuffer(b), nil, nil)
		case "large":
			s.Send(text(strings.Repeat("x", n)), nil, nil)
		default:
			for i := range n {
				s.Send(text("burst:"+strconv.Itoa(i)), nil, nil)
			}
		}
	default:
		b, _ := json.Marshal(cmd)
		s.Send(text("error:unknown command "+string(b)), nil, nil)
	}
}

func parseCount(arg string) (int, error) {
	if arg == "" || strings.Trim(arg, "0123456789") != "" {
		return 0, errors.New("not a count")
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n > maxGenerated {
		return 0, errors.New("count out of range")
	}
	return n, nil
}

// handshakeInfo describes the request that opened the session, with
// lower-case header names as the Node peers report them.
func handshakeInfo(s engine.Socket) map[string]any {
	req := s.Request().Request()
	headers := map[string]string{}
	for k, v := range req.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	query := map[string]string{}
	for k, v := range req.URL.Query() {
		if len(v) > 0 {
			query[k] = v[0]
		}
	}
	return map[string]any{
		"headers":   headers,
		"query":     query,
		"url":       req.URL.RequestURI(),
		"transport": query["transport"],
		"protocol":  s.Protocol(),
	}
}

func (p *peer) serveSessions(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	open := []string{}
	for _, id := range p.order {
		if p.open[id] {
			open = append(open, id)
		}
	}
	p.order = open
	body, err := json.Marshal(map[string]any{"open": open, "closed": append([]closedSession{}, p.closed...)})
	p.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// seqTracker counts "seq:<key>:<n>" messages of one session.
type seqTracker struct {
	mu         sync.Mutex
	received   int
	outOfOrder int
	duplicates int
	malformed  int
	last       map[string]int
	seen       map[string]map[int]bool
}

func (t *seqTracker) add(body string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.received++
	i := strings.LastIndexByte(body, ':')
	if i < 0 {
		t.malformed++
		return
	}
	key := body[:i]
	digits := body[i+1:]
	n, err := strconv.Atoi(digits)
	if digits == "" || strings.Trim(digits, "0123456789") != "" || err != nil {
		t.malformed++
		return
	}
	seen := t.seen[key]
	if seen == nil {
		seen = map[int]bool{}
		t.seen[key] = seen
	}
	if seen[n] {
		t.duplicates++
		return
	}
	prev, ok := t.last[key]
	if !ok {
		prev = -1
	}
	if n != prev+1 {
		t.outOfOrder++
	}
	seen[n] = true
	t.last[key] = n
}

func (t *seqTracker) MarshalJSON() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return json.Marshal(map[string]any{
		"received":   t.received,
		"outOfOrder": t.outOfOrder,
		"duplicates": t.duplicates,
		"malformed":  t.malformed,
		"keys":       t.last,
	})
}
