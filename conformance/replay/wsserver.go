package replay

import (
	"context"
	"fmt"
	"net/http"
	"time"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/conformance/trace"
)

// websocket serves the handshake WebSocket or the upgrade probe.
func (s *server) websocket(w http.ResponseWriter, r *http.Request, handshake bool) {
	s.mu.Lock()
	var out wsOutcome
	known := len(s.wsPlan) > 0
	if known {
		out, s.wsPlan = s.wsPlan[0], s.wsPlan[1:]
	}
	busy := s.conn != nil
	s.mu.Unlock()
	switch {
	case !known:
		s.chk.diverge(&Divergence{Transport: trace.WebSocket, Index: -1, Msg: "a WebSocket request the recording does not show"})
		writeError(w, http.StatusBadRequest, 3, "Bad request")
		return
	case !out.accept && out.status == 0:
		// The recorded socket never opened: leave the request hanging.
		select {
		case <-r.Context().Done():
		case <-s.ctx.Done():
		}
		return
	case !out.accept:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(out.status)
		_, _ = w.Write(out.body)
		return
	case busy:
		s.chk.diverge(&Divergence{Transport: trace.WebSocket, Index: -1, Msg: "a second WebSocket while one is open"})
		writeError(w, http.StatusBadRequest, 3, "Bad request")
		return
	}
	conn, err := ws.Accept(w, r, &ws.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	conn.SetReadLimit(-1)
	s.wg.Add(1)
	defer s.wg.Done()
	s.mu.Lock()
	s.conn = conn
	if handshake {
		s.wsActive = true
	}
	s.mu.Unlock()
	s.bell.ring()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.wsWriter(ctx, conn)
	}()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			break
		}
		p, err := codec.DecodeFrame(s.rev, data, typ == ws.MessageBinary)
		if err != nil {
			s.chk.diverge(&Divergence{Transport: trace.WebSocket, Index: s.chk.count(trace.WebSocket),
				Msg: fmt.Sprintf("undecodable frame %q: %v", data, err)})
			break
		}
		s.clientPacket(trace.WebSocket, p)
	}
	cancel()
	_ = conn.CloseNow()
}

// wsWriter writes what is queued for the WebSocket: the probe answer, and
// the session's packets once the socket carries the session.
func (s *server) wsWriter(ctx context.Context, conn *ws.Conn) {
	for {
		s.mu.Lock()
		pkts := s.probeQ
		s.probeQ = nil
		if s.wsActive {
			pkts = append(pkts, s.sessQ...)
			s.sessQ = nil
		}
		closeNow := s.closeWS && len(pkts) == 0
		wake := s.bell.wait()
		s.mu.Unlock()
		for _, it := range pkts {
			frame, bin := codec.AppendFrame(nil, s.rev, it.p)
			if it.raw != nil {
				frame, bin = it.raw.data, it.raw.binary
			}
			typ := ws.MessageText
			if bin {
				typ = ws.MessageBinary
			}
			if err := conn.Write(ctx, typ, frame); err != nil {
				return
			}
			if it.raw == nil && it.p.Type == codec.Close {
				closeNow = true
			}
		}
		if closeNow {
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			go func() { <-cctx.Done(); _ = conn.CloseNow() }()
			_ = conn.Close(ws.StatusNormalClosure, "")
			cancel()
			return
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return
		}
	}
}
