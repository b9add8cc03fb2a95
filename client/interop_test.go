package client_test

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// modes are the three ways a session can use the transports.
var modes = []struct {
	name       string
	transports []string
	first      string // transport carrying the handshake
	final      string // transport at the end
}{
	{"polling", []string{"polling"}, "polling", "polling"},
	{"websocket", []string{"websocket"}, "websocket", "websocket"},
	{"upgrade", []string{"polling", "websocket"}, "polling", "websocket"},
}

// TestNodeEcho runs a session in each mode against Node's engine.io: text,
// binary and JSON echo, then a graceful client disconnect that the server
// sees as a clean close, and no goroutine left behind.
func TestNodeEcho(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := client.New(nil)
			rec := record(c)
			var info client.ConnectInfo
			c.OnConnect(func(ci client.ConnectInfo) { info = ci })
			err := c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: mode.transports})
			require.NoError(t, err)
			sid := c.SID()
			require.NotEmpty(t, sid)
			if mode.final != mode.first {
				require.Equal(t, mode.final, rec.upgraded(t, 5*time.Second))
			}
			require.Equal(t, mode.final, c.Transport())

			require.NoError(t, c.Send("hello"))
			require.NoError(t, c.Send([]byte{0, 1, 2, 255}))
			require.NoError(t, c.Send(map[string]int{"n": 1}))
			require.NoError(t, c.Send("héllo 😀"))

			m := rec.next(t, 5*time.Second)
			require.Equal(t, client.Message{Data: []byte("hello")}, m)
			m = rec.next(t, 5*time.Second)
			require.Equal(t, client.Message{Data: []byte{0, 1, 2, 255}, Binary: true}, m)
			m = rec.next(t, 5*time.Second)
			require.False(t, m.Binary)
			require.JSONEq(t, `{"n":1}`, m.Text())
			require.Equal(t, "héllo 😀", rec.next(t, 5*time.Second).Text())

			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
			require.Equal(t, sid, info.SID)
			require.Equal(t, mode.first, info.Transport)

			closed, err := p.WaitClosed(testCtx(t, 5*time.Second), sid)
			require.NoError(t, err)
			require.Equal(t, peer.ReasonTransportClose, closed.Reason, "the server must see a clean close")

			err = c.Send("late")
			require.ErrorIs(t, err, client.ErrClosed)
			require.ErrorIs(t, err, net.ErrClosed)
			requireNoGoroutines(t)
			requireNoHTTPConns(t)
		})
	}
}

// TestNodeServerClose checks that a close started by the server is reported
// as "server disconnect" in every mode.
func TestNodeServerClose(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := client.New(nil)
			rec := record(c)
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: mode.transports}))
			if mode.final != mode.first {
				rec.upgraded(t, 5*time.Second)
			}
			require.NoError(t, c.Send("cmd:close"))
			require.Equal(t, client.ReasonServerDisconnect, rec.disconnected(t, 5*time.Second))
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			reason, err := c.Reason()
			require.Equal(t, client.ReasonServerDisconnect, reason)
			require.NoError(t, err)
			requireNoGoroutines(t)
		})
	}
}

// TestNodePingTimeout pauses the server process (SIGSTOP) and expects
// "ping timeout" within pingInterval + pingTimeout plus a margin.
func TestNodePingTimeout(t *testing.T) {
	const interval, timeout = 250 * time.Millisecond, 500 * time.Millisecond
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			p := peer.Start(t, peer.Node6, peer.Options{PingInterval: interval, PingTimeout: timeout})
			c := client.New(nil)
			rec := record(c)
			require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: mode.transports}))
			if mode.final != mode.first {
				rec.upgraded(t, 5*time.Second)
			}
			// A few heartbeats go by without a timeout.
			require.Eventually(t, func() bool { return rec.pingCount() >= 3 }, 5*time.Second, 10*time.Millisecond)
			require.Equal(t, client.State("open"), c.State())

			require.NoError(t, p.Pause())
			paused := time.Now()
			reason := rec.disconnected(t, interval+timeout+2*time.Second)
			elapsed := time.Since(paused)
			require.NoError(t, p.Resume())
			require.Equal(t, client.ReasonPingTimeout, reason)
			require.LessOrEqual(t, elapsed, interval+timeout+time.Second)
			_, err := c.Reason()
			require.True(t, strings.Contains(err.Error(), "ping timeout"), err.Error())
			require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
			requireNoGoroutines(t)
		})
	}
}

// TestNodeConnectErrors covers a refused connection and a server that
// rejects the protocol revision.
func TestNodeConnectErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	c := client.New(nil)
	err = c.Connect(testCtx(t, 5*time.Second), "http://"+addr, nil)
	require.ErrorIs(t, err, client.ErrConnect)
	var ce *client.ConnectError
	require.True(t, errors.As(err, &ce))
	require.ErrorIs(t, c.Send("x"), client.ErrClosed)

	err = c.Connect(testCtx(t, 5*time.Second), "ftp://"+addr, nil)
	require.ErrorIs(t, err, client.ErrInvalidURL)
	err = c.Connect(testCtx(t, 5*time.Second), "http://"+addr, &client.ConnectOptions{Transports: []string{"carrier-pigeon"}})
	require.ErrorIs(t, err, client.ErrInvalidTransports)
	requireNoGoroutines(t)
}

// TestNodeJSONSend checks that values other than string and []byte travel
// as their JSON encoding.
func TestNodeJSONSend(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	c := client.New(nil)
	rec := record(c)
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"websocket"}}))
	type point struct{ X, Y int }
	require.NoError(t, c.Send(point{1, 2}))
	var got point
	require.NoError(t, json.Unmarshal(rec.next(t, 5*time.Second).Data, &got))
	require.Equal(t, point{1, 2}, got)
	c.Abort()
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
	requireNoGoroutines(t)
}

// TestNodeSendTextBinary checks the typed senders: SendText sends text,
// SendBinary sends binary and copies its argument, which the caller may
// reuse at once.
func TestNodeSendTextBinary(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	c := client.New(nil)
	rec := record(c)
	require.ErrorIs(t, c.SendText("early"), client.ErrClosed)
	require.ErrorIs(t, c.SendBinary([]byte{1}), client.ErrClosed)
	require.NoError(t, c.Connect(testCtx(t, 10*time.Second), p.URL, &client.ConnectOptions{Transports: []string{"websocket"}}))
	require.NoError(t, c.SendText("typed"))
	buf := []byte{1, 2, 3}
	require.NoError(t, c.SendBinary(buf))
	buf[0] = 9
	require.Equal(t, client.Message{Data: []byte("typed")}, rec.next(t, 5*time.Second))
	require.Equal(t, client.Message{Data: []byte{1, 2, 3}, Binary: true}, rec.next(t, 5*time.Second))
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.ErrorIs(t, c.SendText("late"), client.ErrClosed)
}
