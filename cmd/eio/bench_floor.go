package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	ws "github.com/coder/websocket"
)

// The floor is the least an Engine.IO v4 client can do on coder/websocket:
// it reads the handshake frame, answers pings, and sends and receives
// text and binary messages; no state machine, no timers, no buffering of
// its own, one goroutine per connection. For the polling and upgrade
// connect times, and for polling throughput, it also speaks the polling
// transport with net/http just as plainly: one long-poll GET at a time,
// every queued packet in one POST. The benchmark's ratios are to this.

const floorPath = "/engine.io/"

// floorWS is a floor connection over WebSocket.
type floorWS struct {
	conn   *ws.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// dialFloor connects the floor client in a mode.
func dialFloor(ctx context.Context, url, mode string, onMessage func()) (benchConn, error) {
	switch mode {
	case modeWebSocket:
		return dialFloorWS(ctx, url, "", onMessage)
	case modePolling:
		return dialFloorPolling(ctx, url, onMessage)
	case modeUpgrade:
		hs, err := floorHandshake(ctx, http.DefaultClient, url)
		if err != nil {
			return nil, err
		}
		return dialFloorWS(ctx, url, hs.SID, onMessage)
	}
	return nil, fmt.Errorf("unknown mode %q", mode)
}

// dialFloorWS opens a WebSocket: a new session when sid is empty, else an
// upgrade of the polling session sid (probe, then the upgrade packet).
func dialFloorWS(ctx context.Context, url, sid string, onMessage func()) (*floorWS, error) {
	u := "ws" + strings.TrimPrefix(url, "http") + floorPath + "?EIO=4&transport=websocket"
	if sid != "" {
		u += "&sid=" + sid
	}
	conn, _, err := ws.Dial(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	if sid == "" {
		_, data, err := conn.Read(ctx)
		if err != nil || len(data) == 0 || data[0] != '0' {
			conn.CloseNow()
			return nil, fmt.Errorf("floor: handshake %q: %v", data, err)
		}
	} else {
		if err := conn.Write(ctx, ws.MessageText, []byte("2probe")); err != nil {
			conn.CloseNow()
			return nil, err
		}
		if _, data, err := conn.Read(ctx); err != nil || string(data) != "3probe" {
			conn.CloseNow()
			return nil, fmt.Errorf("floor: probe answer %q: %v", data, err)
		}
		if err := conn.Write(ctx, ws.MessageText, []byte("5")); err != nil {
			conn.CloseNow()
			return nil, err
		}
	}
	rctx, cancel := context.WithCancel(context.Background())
	f := &floorWS{conn: conn, cancel: cancel, done: make(chan struct{})}
	go f.read(rctx, onMessage)
	return f, nil
}

// read is the connection's one goroutine: messages to onMessage, pings
// answered.
func (f *floorWS) read(ctx context.Context, onMessage func()) {
	defer close(f.done)
	buf := make([]byte, 0, 4096)
	for {
		typ, rd, err := f.conn.Reader(ctx)
		if err != nil {
			return
		}
		if buf, err = benchReadAll(buf[:0], rd); err != nil {
			return
		}
		if typ == ws.MessageBinary {
			onMessage()
			continue
		}
		if len(buf) == 0 {
			return
		}
		switch buf[0] {
		case '4':
			onMessage()
		case '2':
			buf[0] = '3'
			if f.conn.Write(ctx, ws.MessageText, buf) != nil {
				return
			}
		case '1':
			return
		}
	}
}

// benchReadAll appends everything rd yields to buf.
func benchReadAll(buf []byte, rd io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func (f *floorWS) sender(data []byte, binary bool) func() error {
	ctx := context.Background()
	if binary {
		return func() error { return f.conn.Write(ctx, ws.MessageBinary, data) }
	}
	frame := append([]byte{'4'}, data...)
	return func() error { return f.conn.Write(ctx, ws.MessageText, frame) }
}

func (f *floorWS) close() {
	_ = f.conn.Close(ws.StatusNormalClosure, "")
	f.cancel()
	<-f.done
}

// floorHS is the part of the handshake the floor uses.
type floorHS struct {
	SID string `json:"sid"`
}

// floorHandshake opens a polling session.
func floorHandshake(ctx context.Context, hc *http.Client, url string) (floorHS, error) {
	var hs floorHS
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+floorPath+"?EIO=4&transport=polling", nil)
	if err != nil {
		return hs, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return hs, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return hs, err
	}
	if resp.StatusCode != http.StatusOK || len(body) == 0 || body[0] != '0' {
		return hs, fmt.Errorf("floor: polling handshake: %s %q", resp.Status, body)
	}
	err = json.Unmarshal(body[1:], &hs)
	return hs, err
}

// floorPolling is a floor connection over long-polling.
type floorPolling struct {
	hc     *http.Client
	url    string // the session's polling URL
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending []byte // packets to POST, 0x1e-separated
	wake    chan struct{}
}

func dialFloorPolling(ctx context.Context, url string, onMessage func()) (*floorPolling, error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	hs, err := floorHandshake(ctx, hc, url)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	f := &floorPolling{hc: hc, url: url + floorPath + "?EIO=4&transport=polling&sid=" + hs.SID, cancel: cancel, wake: make(chan struct{}, 1)}
	f.wg.Add(2)
	go f.poll(rctx, onMessage)
	go f.post(rctx)
	return f, nil
}

// poll issues one long-poll after another.
func (f *floorPolling) poll(ctx context.Context, onMessage func()) {
	defer f.wg.Done()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
		if err != nil {
			return
		}
		resp, err := f.hc.Do(req)
		if err != nil {
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return
		}
		for p := range bytes.SplitSeq(body, []byte{0x1e}) {
			if len(p) == 0 {
				continue
			}
			switch p[0] {
			case '4', 'b':
				onMessage()
			case '2':
				f.queue([]byte("3"))
			case '1':
				return
			}
		}
	}
}

// post sends everything queued in one request, one request at a time.
func (f *floorPolling) post(ctx context.Context) {
	defer f.wg.Done()
	for {
		select {
		case <-f.wake:
		case <-ctx.Done():
			return
		}
		f.mu.Lock()
		body := f.pending
		f.pending = nil
		f.mu.Unlock()
		if len(body) == 0 {
			continue
		}
		if err := f.postBody(ctx, body); err != nil {
			return
		}
	}
}

func (f *floorPolling) postBody(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("floor: POST: %s", resp.Status)
	}
	return nil
}

// queue adds one encoded packet to the next POST.
func (f *floorPolling) queue(p []byte) {
	f.mu.Lock()
	if len(f.pending) > 0 {
		f.pending = append(f.pending, 0x1e)
	}
	f.pending = append(f.pending, p...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *floorPolling) sender(data []byte, binary bool) func() error {
	var p []byte
	if binary {
		p = append([]byte{'b'}, base64.StdEncoding.EncodeToString(data)...)
	} else {
		p = append([]byte{'4'}, data...)
	}
	return func() error { f.queue(p); return nil }
}

func (f *floorPolling) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f.cancel()
	f.wg.Wait()
	_ = f.postBody(ctx, []byte("1"))
	f.hc.CloseIdleConnections()
}
