package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/client"
)

// The benchmarks here run the client end to end against loopServer, an
// in-process Engine.IO v4 server that speaks WebSocket only and echoes
// every message. The allocations reported are the whole process's, the
// server's included; BenchmarkEcho/floor runs the same exchange with a
// bare coder/websocket connection, so the client's own share is the
// difference between the two.

// loopOpen is the loopback server's handshake.
const loopOpen = `0{"sid":"bench","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`

// loopServer starts the echo server and returns its base URL. It answers
// WebSocket requests of /engine.io/ with the handshake, then writes every
// message frame back as it came, reusing one buffer per connection.
func loopServer(b *testing.B) string {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("transport") != "websocket" || r.URL.Query().Get("EIO") != "4" {
			http.Error(w, `{"code":0,"message":"Transport unknown"}`, http.StatusBadRequest)
			return
		}
		conn, err := ws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		conn.SetReadLimit(1 << 20)
		ctx := r.Context()
		if err := conn.Write(ctx, ws.MessageText, []byte(loopOpen)); err != nil {
			return
		}
		buf := make([]byte, 0, 4096)
		for {
			typ, rd, err := conn.Reader(ctx)
			if err != nil {
				return
			}
			buf, err = readAllInto(buf[:0], rd)
			if err != nil {
				return
			}
			if typ == ws.MessageText && (len(buf) == 0 || buf[0] != '4') {
				if len(buf) > 0 && buf[0] == '1' {
					conn.Close(ws.StatusNormalClosure, "")
					return
				}
				continue // pongs and anything else
			}
			if err := conn.Write(ctx, typ, buf); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// readAllInto appends everything rd yields to buf.
func readAllInto(buf []byte, rd io.Reader) ([]byte, error) {
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

// benchClient connects an eio client over WebSocket whose message handler
// calls onMessage.
func benchClient(b *testing.B, url string, onMessage func(client.Message)) *client.Client {
	b.Helper()
	c := client.New(nil)
	c.OnMessage(onMessage)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx, url, &client.ConnectOptions{Transports: []string{"websocket"}}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Disconnect(ctx)
	})
	return c
}

// floorConn dials the loopback server with coder/websocket alone and
// reads the handshake.
func floorConn(b *testing.B, url string) *ws.Conn {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := ws.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/engine.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.CloseNow() })
	if _, data, err := conn.Read(ctx); err != nil || data[0] != '0' {
		b.Fatalf("handshake %q, %v", data, err)
	}
	return conn
}

// benchTimeout bounds a whole benchmark run.
const benchTimeout = 60 * time.Second

// waitFor waits for ch, or fails the benchmark once ctx ends.
func waitFor(ctx context.Context, b *testing.B, ch <-chan struct{}) {
	select {
	case <-ch:
	case <-ctx.Done():
		b.Fatal("no echo: benchmark timed out")
	}
}

// BenchmarkEcho measures one 32-byte text round trip at a time: Send, the
// server's echo, the message handler.
func BenchmarkEcho(b *testing.B) {
	payload := strings.Repeat("x", 32)
	b.Run("eio", func(b *testing.B) {
		got := make(chan struct{}, 1)
		c := benchClient(b, loopServer(b), func(client.Message) { got <- struct{}{} })
		ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Send(payload); err != nil {
				b.Fatal(err)
			}
			waitFor(ctx, b, got)
		}
	})
	b.Run("floor", func(b *testing.B) {
		conn := floorConn(b, loopServer(b))
		frame := []byte("4" + payload)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := conn.Write(ctx, ws.MessageText, frame); err != nil {
				b.Fatal(err)
			}
			if _, _, err := conn.Read(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEchoPipelined measures echoes with up to 256 messages in
// flight, per message: text of 32 bytes and 1 KiB, binary of 1 KiB, for
// eio and for a bare coder/websocket connection (floor).
func BenchmarkEchoPipelined(b *testing.B) {
	cases := []struct {
		name string
		msg  any
		size int64
	}{
		{"text32", strings.Repeat("x", 32), 32},
		{"text1k", strings.Repeat("x", 1024), 1024},
		{"binary1k", make([]byte, 1024), 1024},
	}
	for _, tc := range cases {
		b.Run("eio/"+tc.name, func(b *testing.B) {
			p := newPipeline(b, tc.size)
			c := benchClient(b, loopServer(b), func(client.Message) { p.received() })
			p.run(func() error { return c.Send(tc.msg) })
		})
		b.Run("floor/"+tc.name, func(b *testing.B) {
			p := newPipeline(b, tc.size)
			conn := floorConn(b, loopServer(b))
			typ, frame := ws.MessageBinary, []byte(nil)
			switch m := tc.msg.(type) {
			case string:
				typ, frame = ws.MessageText, []byte("4"+m)
			case []byte:
				frame = m
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			readerDone := make(chan struct{})
			go func() {
				defer close(readerDone)
				for {
					if _, _, err := conn.Read(ctx); err != nil {
						return
					}
					p.received()
				}
			}()
			p.run(func() error { return conn.Write(ctx, typ, frame) })
			cancel()
			<-readerDone
		})
	}
}

// pipeline keeps up to window messages in flight and counts echoes.
type pipeline struct {
	b        *testing.B
	size     int64
	credit   chan struct{}
	done     chan struct{}
	want     int64
	received func()
}

const window = 256

func newPipeline(b *testing.B, size int64) *pipeline {
	p := &pipeline{b: b, size: size, credit: make(chan struct{}, window), done: make(chan struct{}), want: int64(b.N)}
	var n atomic.Int64
	p.received = func() {
		<-p.credit
		if n.Add(1) == p.want {
			close(p.done)
		}
	}
	return p
}

// run sends b.N messages with send and waits for every echo.
func (p *pipeline) run(send func() error) {
	ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	p.b.ReportAllocs()
	p.b.SetBytes(p.size)
	p.b.ResetTimer()
	for range p.b.N {
		p.credit <- struct{}{}
		if err := send(); err != nil {
			p.b.Fatal(err)
		}
	}
	waitFor(ctx, p.b, p.done)
}
