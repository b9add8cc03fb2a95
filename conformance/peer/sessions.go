package peer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Sessions is the peer's view of its Engine.IO sessions.
type Sessions struct {
	// Open lists the ids of the sessions that are open now.
	Open []string `json:"open"`
	// Closed lists the last 100 closed sessions, oldest first.
	Closed []ClosedSession `json:"closed"`
}

// ClosedSession is a session the peer closed, with engine.io's reason
// (see the Reason constants).
type ClosedSession struct {
	ID          string `json:"id"`
	Reason      string `json:"reason"`
	Description string `json:"description,omitempty"` // error message, if any
	Transport   string `json:"transport"`             // transport at close time
	Protocol    int    `json:"protocol"`              // 3 or 4
	// Stats is the session's "seq:" count when it closed (Node peers
	// only; nil for the others).
	Stats *SeqStats `json:"stats,omitempty"`
}

// SeqStats is a session's count of "seq:<key>:<n>" messages, as cmd:stats
// reports it (see conformance/peers/README.md).
type SeqStats struct {
	Received   int            `json:"received"`
	OutOfOrder int            `json:"outOfOrder"`
	Duplicates int            `json:"duplicates"`
	Malformed  int            `json:"malformed"`
	Keys       map[string]int `json:"keys"` // last accepted n per key
}

// IsOpen reports whether the session id is open.
func (s Sessions) IsOpen(id string) bool {
	for _, o := range s.Open {
		if o == id {
			return true
		}
	}
	return false
}

// Find returns the closed session with the given id.
func (s Sessions) Find(id string) (ClosedSession, bool) {
	for i := len(s.Closed) - 1; i >= 0; i-- {
		if s.Closed[i].ID == id {
			return s.Closed[i], true
		}
	}
	return ClosedSession{}, false
}

// Sessions fetches GET /peer/sessions.
func (p *Peer) Sessions(ctx context.Context) (Sessions, error) {
	p.mu.Lock()
	url := p.URL + "/peer/sessions"
	p.mu.Unlock()
	var s Sessions
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return s, err
	}
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET %s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("GET %s: %w", url, err)
	}
	return s, nil
}

// WaitClosed polls Sessions until the session id is reported closed and
// returns it. Without a deadline in ctx it gives up after 10 s.
func (p *Peer) WaitClosed(ctx context.Context, id string) (ClosedSession, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := p.Sessions(ctx)
		if err == nil {
			if c, ok := s.Find(id); ok {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("session %q still open=%v", id, s.IsOpen(id))
			}
			return ClosedSession{}, fmt.Errorf("wait for close of %q: %w (last: %v)", id, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
