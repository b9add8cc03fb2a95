package faultproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxBody bounds a response body the proxy reads whole (for Truncate and
// ReplaceBody) and a WebSocket frame.
const maxBody = 64 << 20

// serveHTTP carries HTTP/1.1 exchanges one at a time, applying the rules,
// until the connection ends or is upgraded to a WebSocket.
func (cn *conn) serveHTTP() {
	br := bufio.NewReader(cn.c)
	ur := bufio.NewReader(cn.u)
	idle := cn.watch(ur)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				cn.up.closeAfter()
			} else {
				cn.close()
			}
			return
		}
		switch f := cn.p.match(req).(type) {
		case Answer:
			_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, maxBody))
			if !cn.answer(req, f) {
				return
			}
			continue
		case Hang:
			_, _ = io.Copy(io.Discard, br)
			cn.close()
			return
		case nil, Truncate, ReplaceBody:
			if err := req.Write(cn.up); err != nil {
				cn.close()
				return
			}
			select {
			case <-idle:
			case <-cn.done:
				return
			}
			resp, err := http.ReadResponse(ur, req)
			if err != nil {
				cn.close()
				return
			}
			if resp.StatusCode == http.StatusSwitchingProtocols {
				cn.upgraded(resp, br, ur)
				return
			}
			if !cn.respond(req, resp, f) {
				return
			}
			idle = cn.watch(ur)
		}
	}
}

// watch waits, on a goroutine of its own, for the next bytes from the
// target, which must not come before a request: when the target closes
// an idle connection instead (a keep-alive timeout), the client's side is
// closed too, as the client would see without the proxy. The returned
// channel is closed once bytes came or the connection ended.
func (cn *conn) watch(ur *bufio.Reader) <-chan struct{} {
	done := make(chan struct{})
	cn.p.start(func() {
		defer close(done)
		if _, err := ur.Peek(1); err != nil {
			cn.close()
		}
	})
	return done
}

// answer sends the rule's own response to req.
func (cn *conn) answer(req *http.Request, f Answer) bool {
	resp := &http.Response{
		StatusCode:    f.Status,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		ContentLength: int64(len(f.Body)),
		Body:          io.NopCloser(strings.NewReader(f.Body)),
		Close:         req.Close,
	}
	if resp.Write(cn.down) != nil {
		return false
	}
	if req.Close {
		cn.down.closeAfter()
		return false
	}
	return true
}

// respond forwards resp, altered by f; false means the connection ends.
func (cn *conn) respond(req *http.Request, resp *http.Response, f HTTPFault) bool {
	defer resp.Body.Close()
	switch f := f.(type) {
	case Truncate:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			cn.close()
			return false
		}
		claimed := max(len(body), f.Keep+1)
		_ = cn.head(resp, claimed, false)
		_, _ = cn.down.Write(body[:min(f.Keep, len(body))])
		cn.down.closeAfter()
		return false
	case ReplaceBody:
		if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)); err != nil {
			cn.close()
			return false
		}
		if cn.head(resp, len(f.Body), true) != nil {
			return false
		}
		_, _ = cn.down.Write(f.Body)
	default:
		if resp.Write(cn.down) != nil {
			cn.close()
			return false
		}
	}
	if resp.Close || req.Close {
		cn.down.closeAfter()
		return false
	}
	return true
}

// head writes resp's status line and headers, with a Content-Length of
// n unless n is negative; plain drops the content coding.
func (cn *conn) head(resp *http.Response, n int, plain bool) error {
	h := resp.Header.Clone()
	if n >= 0 {
		h.Del("Transfer-Encoding")
		h.Set("Content-Length", strconv.Itoa(n))
	}
	if plain {
		h.Del("Content-Encoding")
	}
	if _, err := fmt.Fprintf(cn.down, "HTTP/%d.%d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.Status); err != nil {
		return err
	}
	if err := h.Write(cn.down); err != nil {
		return err
	}
	_, err := io.WriteString(cn.down, "\r\n")
	return err
}

// upgraded forwards the 101 answer, then WebSocket frames both ways.
func (cn *conn) upgraded(resp *http.Response, br, ur *bufio.Reader) {
	if cn.head(resp, -1, false) != nil {
		return
	}
	cn.p.start(func() { cn.down.frames(ur) })
	cn.up.frames(br)
}

// frames forwards WebSocket frames from src, dropping those the faults'
// DropFrame picks.
func (pp *pipe) frames(src *bufio.Reader) {
	for {
		raw, f, err := readFrame(src)
		if err != nil {
			pp.ended(err)
			return
		}
		faults, _, _ := pp.cn.p.current()
		if faults.DropFrame != nil && faults.DropFrame(pp.dir, f) {
			continue
		}
		if pp.send(chunk{kind: chunkData, data: raw}) != nil {
			return
		}
	}
}

// readFrame reads one WebSocket frame (RFC 6455 section 5.2): its bytes as
// read, and the frame with its payload unmasked.
func readFrame(r *bufio.Reader) ([]byte, Frame, error) {
	var h [14]byte
	if _, err := io.ReadFull(r, h[:2]); err != nil {
		return nil, Frame{}, err
	}
	hl := 2
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		hl += 2
	case 127:
		hl += 8
	}
	masked := h[1]&0x80 != 0
	if masked {
		hl += 4
	}
	if _, err := io.ReadFull(r, h[2:hl]); err != nil {
		return nil, Frame{}, unexpected(err)
	}
	switch n {
	case 126:
		n = uint64(h[2])<<8 | uint64(h[3])
	case 127:
		n = 0
		for _, b := range h[2:10] {
			n = n<<8 | uint64(b)
		}
	}
	if n > maxBody {
		return nil, Frame{}, fmt.Errorf("faultproxy: frame of %d bytes", n)
	}
	raw := make([]byte, hl+int(n))
	copy(raw, h[:hl])
	if _, err := io.ReadFull(r, raw[hl:]); err != nil {
		return nil, Frame{}, unexpected(err)
	}
	payload := append([]byte(nil), raw[hl:]...)
	if masked {
		key := h[hl-4 : hl]
		for i := range payload {
			payload[i] ^= key[i%4]
		}
	}
	return raw, Frame{Fin: h[0]&0x80 != 0, Opcode: h[0] & 0x0f, Payload: payload}, nil
}

// unexpected turns an EOF inside a frame into io.ErrUnexpectedEOF, which
// closes the connection instead of half-closing it.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
