package record

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/conformance/har"
)

// hopHeaders are not passed on when the proxy dials the target's WebSocket:
// the dialler sets its own.
var hopHeaders = map[string]bool{
	"Connection": true, "Upgrade": true, "Host": true, "Content-Length": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
	"Sec-Websocket-Accept": true, "Sec-Websocket-Protocol": true, "Keep-Alive": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Proxy-Connection": true,
}

// wsRelay copies frames between the client's and the target's WebSocket.
type wsRelay struct {
	p      *Proxy
	x      *exchange
	client *ws.Conn
	target *ws.Conn
	ctx    context.Context
	cancel context.CancelFunc
}

// serveWebSocket dials the target first, so that a refusal reaches the
// client with the target's own status, then accepts the client and relays.
func (p *Proxy) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		http.Error(w, "record: proxy closed", http.StatusServiceUnavailable)
		return
	}
	x := p.begin(r, true)
	hdr := http.Header{}
	for k, v := range r.Header {
		if !hopHeaders[http.CanonicalHeaderKey(k)] {
			hdr[k] = append([]string(nil), v...)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	target, resp, err := ws.Dial(r.Context(), x.entry.Request.URL, &ws.DialOptions{
		HTTPHeader:      hdr,
		CompressionMode: ws.CompressionDisabled,
	})
	if err != nil {
		cancel()
		status := http.StatusBadGateway
		var body []byte
		if resp != nil {
			status = resp.StatusCode
			if resp.Body != nil {
				body, _ = io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
			}
		}
		p.mu.Lock()
		if resp != nil {
			x.entry.Response = responseOf(resp, body)
		} else {
			x.entry.Response.Error = err.Error()
		}
		x.entry.Time = ms(p.opts.Now().Sub(x.entry.StartedDateTime))
		x.entry.Timings.Wait = x.entry.Time
		x.done = true
		p.mu.Unlock()
		if resp != nil {
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	target.SetReadLimit(-1)
	client, err := ws.Accept(w, r, &ws.AcceptOptions{InsecureSkipVerify: true, CompressionMode: ws.CompressionDisabled})
	if err != nil {
		cancel()
		_ = target.CloseNow()
		p.fail(x, "accepting the client's WebSocket: "+err.Error())
		return
	}
	client.SetReadLimit(-1)
	p.mu.Lock()
	resp.Body = nil
	x.entry.Response = responseOf(resp, nil)
	x.entry.Response.Status = http.StatusSwitchingProtocols
	x.entry.Timings.Wait = ms(p.opts.Now().Sub(x.entry.StartedDateTime))
	x.entry.Time = x.entry.Timings.Wait
	rl := &wsRelay{p: p, x: x, client: client, target: target, ctx: ctx, cancel: cancel}
	p.conns[rl] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	p.debug("websocket open", "url", x.entry.Request.URL)
	rl.run()
}

// run relays until either side ends, then closes the other one the same
// way and records the end.
func (rl *wsRelay) run() {
	defer rl.p.wg.Done()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); rl.copy(rl.client, rl.target, har.Send, ClosedByClient) }()
	go func() { defer wg.Done(); rl.copy(rl.target, rl.client, har.Receive, ClosedByServer) }()
	wg.Wait()
	rl.cancel()
	p := rl.p
	p.mu.Lock()
	delete(p.conns, rl)
	rl.x.entry.Time = ms(p.opts.Now().Sub(rl.x.entry.StartedDateTime))
	rl.x.done = true
	p.mu.Unlock()
	p.debug("websocket closed", "url", rl.x.entry.Request.URL)
}

// copy reads frames from src, records them as typ and writes them to dst.
// When src ends it closes dst the same way: with src's close status after a
// close frame, at once after a broken connection. The other direction's
// copy then ends on its own.
func (rl *wsRelay) copy(src, dst *ws.Conn, typ har.MessageType, closedBy string) {
	for {
		mt, data, err := src.Read(rl.ctx)
		if err != nil {
			var ce ws.CloseError
			if errors.As(err, &ce) {
				rl.closedBy(fmt.Sprintf("%s (status %d)", closedBy, int(ce.Code)))
				_ = dst.Close(ce.Code, ce.Reason)
			} else {
				if rl.ctx.Err() == nil {
					rl.closedBy(closedBy + " (connection lost)")
				}
				_ = dst.CloseNow()
			}
			return
		}
		rl.recordFrame(typ, mt, data)
		if err := dst.Write(rl.ctx, mt, data); err != nil {
			_ = src.CloseNow()
			return
		}
	}
}

// WebSocket entries carry a comment saying which side ended the socket,
// since a HAR does not record close frames. It starts with one of these,
// followed by the close status or "(connection lost)".
const (
	ClosedByClient = "websocket closed by the client"
	ClosedByServer = "websocket closed by the server"
)

// closedBy records the first side seen ending the socket.
func (rl *wsRelay) closedBy(comment string) {
	p := rl.p
	p.mu.Lock()
	if rl.x.entry.Comment == "" {
		rl.x.entry.Comment = comment
	}
	p.mu.Unlock()
}

// abort ends the relay at once.
func (rl *wsRelay) abort() {
	rl.cancel()
	_ = rl.client.CloseNow()
	_ = rl.target.CloseNow()
}

func (rl *wsRelay) recordFrame(typ har.MessageType, mt ws.MessageType, data []byte) {
	m := har.WebSocketMessage{Type: typ, Opcode: har.OpText, Data: string(data)}
	if mt == ws.MessageBinary {
		m.Opcode = har.OpBinary
		m.Data = base64.StdEncoding.EncodeToString(data)
	}
	p := rl.p
	p.mu.Lock()
	m.Time = har.EpochSeconds(p.opts.Now())
	rl.x.entry.WebSocketMessages = append(rl.x.entry.WebSocketMessages, m)
	p.mu.Unlock()
}
