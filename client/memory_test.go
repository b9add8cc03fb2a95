package client_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
)

// memServer is an Engine.IO server living in the test process, reached
// through the in-memory transport "memory" below: every Open starts a
// session served by a goroutine of its own. It pings, echoes messages and
// closes the session when asked with the message "close".
type memServer struct {
	pingInterval time.Duration
	maxPayload   int
	wg           sync.WaitGroup

	mu       sync.Mutex
	configs  []transports.Config
	received []codec.Packet
	pongs    int
}

// memPipe is one in-memory connection; the client's end is memTransport.
type memPipe struct {
	toClient  chan codec.Packet
	toServer  chan codec.Packet
	closed    chan struct{} // the client closed it
	ended     chan struct{} // the server closed it
	closeOnce sync.Once
	endOnce   sync.Once
}

func (s *memServer) registration() transports.Registration {
	return transports.Registration{Name: "memory", Open: func(ctx context.Context, cfg transports.Config) (transports.Transport, error) {
		s.mu.Lock()
		s.configs = append(s.configs, cfg)
		n := len(s.configs)
		s.mu.Unlock()
		p := &memPipe{toClient: make(chan codec.Packet, 16), toServer: make(chan codec.Packet),
			closed: make(chan struct{}), ended: make(chan struct{})}
		s.wg.Add(1)
		go s.serve(p, fmt.Sprintf("mem-%d", n))
		return &memTransport{p: p}, nil
	}}
}

func (s *memServer) serve(p *memPipe, sid string) {
	defer s.wg.Done()
	defer p.endOnce.Do(func() { close(p.ended) })
	send := func(pk codec.Packet) bool {
		select {
		case p.toClient <- pk:
			return true
		case <-p.closed:
			return false
		}
	}
	open := fmt.Sprintf(`{"sid":%q,"upgrades":[],"pingInterval":%d,"pingTimeout":1000,"maxPayload":%d}`,
		sid, s.pingInterval.Milliseconds(), s.maxPayload)
	if !send(codec.Packet{Type: codec.Open, Data: []byte(open)}) {
		return
	}
	ticker := time.NewTicker(s.pingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if !send(codec.Packet{Type: codec.Ping}) {
				return
			}
		case pk := <-p.toServer:
			s.mu.Lock()
			s.received = append(s.received, pk)
			if pk.Type == codec.Pong {
				s.pongs++
			}
			s.mu.Unlock()
			switch {
			case pk.Type == codec.Close:
				return
			case pk.Type == codec.Message && !pk.Binary && string(pk.Data) == "close":
				send(codec.Packet{Type: codec.Close})
				return
			case pk.Type == codec.Message && !pk.Binary && string(pk.Data) == "misbehave":
				// A v4 server never sends a pong outside a probe.
				if !send(codec.Packet{Type: codec.Pong}) {
					return
				}
			case pk.Type == codec.Message:
				if !send(pk) {
					return
				}
			}
		case <-p.closed:
			return
		}
	}
}

func (s *memServer) pongCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// memTransport is the client's end of a memPipe.
type memTransport struct{ p *memPipe }

func (t *memTransport) Name() string { return "memory" }

func (t *memTransport) Read(ctx context.Context) ([]codec.Packet, error) {
	select {
	case pk := <-t.p.toClient:
		return []codec.Packet{pk}, nil
	case <-t.p.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.p.ended:
		// Deliver what the server sent before it went away.
		select {
		case pk := <-t.p.toClient:
			return []codec.Packet{pk}, nil
		default:
			return nil, transports.ErrPeerClosed
		}
	}
}

func (t *memTransport) Write(ctx context.Context, pkts []codec.Packet) error {
	for _, pk := range pkts {
		select {
		case t.p.toServer <- pk:
		case <-t.p.closed:
			return net.ErrClosed
		case <-t.p.ended:
			return transports.ErrPeerClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (t *memTransport) Close(context.Context) error {
	t.p.closeOnce.Do(func() { close(t.p.closed) })
	return nil
}

// TestMemoryTransport registers an in-memory transport and runs whole
// sessions through the unchanged machine: handshake, heartbeats, text,
// binary and JSON messages, a client close and a server close.
func TestMemoryTransport(t *testing.T) {
	srv := &memServer{pingInterval: 20 * time.Millisecond, maxPayload: 1000}
	reg := &transports.Registry{}
	require.NoError(t, reg.Register(srv.registration()))
	c := client.New(&client.Options{Transports: reg})
	rec := record(c)
	infos := make(chan client.ConnectInfo, 2)
	c.OnConnect(func(ci client.ConnectInfo) { infos <- ci })

	err := c.Connect(testCtx(t, 5*time.Second), "http://memory.invalid/app", &client.ConnectOptions{
		Transports: []string{"memory"},
		Header:     http.Header{"X-Token": {"abc"}},
	})
	require.NoError(t, err)
	require.Equal(t, "mem-1", c.SID())
	require.Equal(t, "memory", c.Transport())
	require.Equal(t, 1000, within(t, infos, time.Second, "connect").MaxPayload)

	require.NoError(t, c.Send("hello"))
	require.NoError(t, c.Send([]byte{0, 255}))
	require.NoError(t, c.Send(map[string]bool{"ok": true}))
	require.Equal(t, "hello", rec.next(t, 5*time.Second).Text())
	require.Equal(t, client.Message{Data: []byte{0, 255}, Binary: true}, rec.next(t, 5*time.Second))
	require.JSONEq(t, `{"ok":true}`, rec.next(t, 5*time.Second).Text())
	require.Eventually(t, func() bool { return srv.pongCount() >= 3 && rec.pingCount() >= 3 }, 5*time.Second, 5*time.Millisecond)

	err = c.Send(strings.Repeat("x", 1000))
	require.ErrorIs(t, err, client.ErrMessageTooLarge)
	var tl *client.MessageTooLargeError
	require.ErrorAs(t, err, &tl)
	require.Equal(t, client.MessageTooLargeError{Size: 1001, Max: 1000}, *tl)

	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
	srv.wg.Wait()
	srv.mu.Lock()
	last := srv.received[len(srv.received)-1]
	cfg := srv.configs[0]
	srv.mu.Unlock()
	require.Equal(t, codec.Close, last.Type, "the server got a close packet")
	require.Equal(t, "abc", cfg.Header.Get("X-Token"))
	require.Equal(t, "/engine.io/", cfg.URL.Path)
	require.Empty(t, cfg.SID)

	// A second session, which the server closes.
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), "http://memory.invalid", &client.ConnectOptions{Transports: []string{"memory"}}))
	require.Equal(t, "mem-2", c.SID())
	require.NoError(t, c.Send("close"))
	require.Equal(t, client.ReasonServerDisconnect, rec.disconnected(t, 5*time.Second))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	srv.wg.Wait()

	// A third, in which the server breaks the protocol.
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), "http://memory.invalid", &client.ConnectOptions{Transports: []string{"memory"}}))
	require.NoError(t, c.Send("misbehave"))
	require.Equal(t, client.ReasonProtocolError, rec.disconnected(t, 5*time.Second))
	_, err = c.Reason()
	require.ErrorIs(t, err, fsm.ErrProtocol)
	var pe *fsm.ProtocolError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, codec.Pong, pe.Packet.Type)
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	srv.wg.Wait()
	requireNoGoroutines(t)
}
