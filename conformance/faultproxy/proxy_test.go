package faultproxy_test

import (
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/faultproxy"
)

// echoServer is a TCP echo server on 127.0.0.1 that remembers how each of
// its connections ended.
type echoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	ends  chan error // the read error that ended each connection
}

func startEcho(t *testing.T) *echoServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &echoServer{ln: ln, ends: make(chan error, 64)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				_, err := io.Copy(c, c)
				if err == nil {
					err = io.EOF
				}
				s.ends <- err
				_ = c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// ended waits for the end of one of the server's connections.
func (s *echoServer) ended(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.ends:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the server's connection did not end")
		return nil
	}
}

func dial(t *testing.T, p *faultproxy.Proxy) net.Conn {
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readN reads exactly n bytes within a bound.
func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, n)
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err)
	return string(buf)
}

// proxyGoroutines returns the stacks of the package's goroutines.
func proxyGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "created by github.com/eio-go/eio/conformance/faultproxy.") {
			out = append(out, g)
		}
	}
	return out
}

func requireNoGoroutines(t *testing.T) {
	t.Helper()
	if !assert.Eventually(t, func() bool { return len(proxyGoroutines()) == 0 }, 3*time.Second, 10*time.Millisecond) {
		t.Fatalf("goroutines left:\n%s", strings.Join(proxyGoroutines(), "\n\n"))
	}
}

func TestForward(t *testing.T) {
	s := startEcho(t)
	p := faultproxy.Start(t, s.ln.Addr().String(), faultproxy.TCP)
	c := dial(t, p)
	for i := range 20 {
		_, err := c.Write([]byte{byte('a' + i)})
		require.NoError(t, err)
	}
	require.Equal(t, "abcdefghijklmnopqrst", readN(t, c, 20))
	require.Equal(t, 1, p.Accepted())

	// A half-close travels through: the server sees EOF and closes, and
	// the client then reads EOF.
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	require.ErrorIs(t, s.ended(t), io.EOF)
	n, err := c.Read(make([]byte, 1))
	require.Equal(t, 0, n)
	require.ErrorIs(t, err, io.EOF)
	require.Eventually(t, func() bool { return p.Open() == 0 }, 3*time.Second, 5*time.Millisecond)
}

func TestLatency(t *testing.T) {
	const lat = 150 * time.Millisecond
	s := startEcho(t)
	p := faultproxy.Start(t, s.ln.Addr().String(), faultproxy.TCP)
	p.Set(faultproxy.Faults{Up: faultproxy.Shape{Latency: lat}, Down: faultproxy.Shape{Latency: lat}})
	c := dial(t, p)
	start := time.Now()
	// Ten writes in a row arrive in order after one round trip of
	// latency, not ten: latency does not cut throughput.
	for i := range 10 {
		_, err := c.Write([]byte{byte('0' + i)})
		require.NoError(t, err)
	}
	require.Equal(t, "0123456789", readN(t, c, 10))
	rtt := time.Since(start)
	require.GreaterOrEqual(t, rtt, 2*lat)
	require.Less(t, rtt, 2*lat+2*time.Second)
}

func TestBandwidth(t *testing.T) {
	const rate, size = 20000, 4000 // 200 ms at the limit
	s := startEcho(t)
	p := faultproxy.Start(t, s.ln.Addr().String(), faultproxy.TCP)
	p.Set(faultproxy.Faults{Down: faultproxy.Shape{Bandwidth: rate}})
	c := dial(t, p)
	data := strings.Repeat("0123456789", size/10)
	start := time.Now()
	_, err := c.Write([]byte(data))
	require.NoError(t, err)
	require.Equal(t, data, readN(t, c, size))
	took := time.Since(start)
	require.GreaterOrEqual(t, took, 150*time.Millisecond)
	require.Less(t, took, 2*time.Second)
}

func TestReset(t *testing.T) {
	s := startEcho(t)
	p := faultproxy.Start(t, s.ln.Addr().String(), faultproxy.TCP)
	c := dial(t, p)
	_, err := c.Write([]byte("before"))
	require.NoError(t, err)
	require.Equal(t, "before", readN(t, c, 6))

	// Counted from the Set: five more bytes pass, then both ends get an RST.
	p.Set(faultproxy.Faults{Down: faultproxy.Shape{Reset: true, ResetAfter: 5}})
	_, err = c.Write([]byte("0123456789"))
	require.NoError(t, err)
	require.Equal(t, "01234", readN(t, c, 5))
	_, err = c.Read(make([]byte, 16))
	require.ErrorIs(t, err, syscall.ECONNRESET)
	require.ErrorIs(t, s.ended(t), syscall.ECONNRESET)
	require.Eventually(t, func() bool { return p.Open() == 0 }, 3*time.Second, 5*time.Millisecond)
}

func TestGarbage(t *testing.T) {
	s := startEcho(t)
	p := faultproxy.Start(t, s.ln.Addr().String(), faultproxy.TCP)
	p.Set(faultproxy.Faults{Down: faultproxy.Shape{Garbage: []byte("!!"), GarbageAfter: 3}})
	c := dial(t, p)
	_, err := c.Write([]byte("abcdef"))
	require.NoError(t, err)
	require.Equal(t, "abc!!def", readN(t, c, 8))
	_, err = c.Write([]byte("gh"))
	require.NoError(t, err)
	require.Equal(t, "gh", readN(t, c, 2), "garbage goes in once")
}

func TestHalfOpen(t *testing.T) {
	s := startEcho(t)
	p := faultproxy.Start(t, s.ln.Addr().String(), faultproxy.TCP)
	c := dial(t, p)
	_, err := c.Write([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, "a", readN(t, c, 1))

	p.Set(faultproxy.Faults{HalfOpen: true})
	_, err = c.Write([]byte("b"))
	require.NoError(t, err)
	// Nothing comes back, and the connection is not closed either.
	require.NoError(t, c.SetReadDeadline(time.Now().Add(300*time.Millisecond)))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "want a read timeout, got %v", err)
	require.Equal(t, 1, p.Open())

	p.Clear()
	require.Equal(t, "b", readN(t, c, 1), "held bytes go through once it ends")
}

// TestClose closes a proxy holding connections in every kind of wait: a
// half-open one, one whose bytes wait out a latency and one mid-transfer
// under a bandwidth limit. Close returns, both ends of each see their
// connection closed, and no goroutine is left.
func TestClose(t *testing.T) {
	s := startEcho(t)
	var clients []net.Conn
	for _, f := range []faultproxy.Faults{
		{HalfOpen: true},
		{Down: faultproxy.Shape{Latency: time.Hour}},
		{Down: faultproxy.Shape{Bandwidth: 100}},
	} {
		p, err := faultproxy.New(s.ln.Addr().String(), faultproxy.TCP)
		require.NoError(t, err)
		p.Set(f)
		for range 3 {
			c := dial(t, p)
			_, err := c.Write([]byte(strings.Repeat("x", 1000)))
			require.NoError(t, err)
			clients = append(clients, c)
		}
		require.Eventually(t, func() bool { return p.Open() == 3 }, 3*time.Second, 5*time.Millisecond)
		require.NoError(t, p.Close())
		require.Equal(t, 0, p.Open())
		require.NoError(t, p.Close(), "a second Close does nothing")
		_, err = net.DialTimeout("tcp", p.Addr(), time.Second)
		require.Error(t, err, "the listener is closed")
	}
	requireNoGoroutines(t)
	for range clients {
		require.Error(t, s.ended(t))
	}
	for _, c := range clients {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "the client's connection is closed")
	}
}
