package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/websocket"
)

// writeStats counts the eio worker's Transport.Write calls and the packets
// they carry, when the worker runs with -count-writes: how well the
// machine batches queued messages under load.
var writeStats struct {
	on             bool
	calls, packets atomic.Int64
}

// countingWS is the websocket transport with its writes counted.
type countingWS struct{ transports.Transport }

func (t countingWS) Write(ctx context.Context, pkts []codec.Packet) error {
	writeStats.calls.Add(1)
	writeStats.packets.Add(int64(len(pkts)))
	return t.Transport.Write(ctx, pkts)
}

// SetSession passes the handshake on to a transport that wants it.
func (t countingWS) SetSession(hs codec.Handshake) {
	if sa, ok := t.Transport.(transports.SessionAware); ok {
		sa.SetSession(hs)
	}
}

// countingRegistry is the default registry with websocket counted.
func countingRegistry() *transports.Registry {
	r := client.DefaultTransports()
	reg := websocket.Registration
	open := reg.Open
	reg.Open = func(ctx context.Context, cfg transports.Config) (transports.Transport, error) {
		t, err := open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return countingWS{t}, nil
	}
	_ = r.Register(reg)
	return r
}

// eioConn is a bench connection made with this module's client, used as
// an application would: Send, OnMessage, Disconnect.
type eioConn struct{ c *client.Client }

// dialEIO connects an eio client in a mode.
func dialEIO(ctx context.Context, url, mode string, onMessage func()) (benchConn, error) {
	opts0 := &client.Options{}
	if writeStats.on {
		opts0.Transports = countingRegistry()
	}
	c := client.New(opts0)
	c.OnMessage(func(client.Message) { onMessage() })
	opts := &client.ConnectOptions{}
	var upgraded chan string
	switch mode {
	case modeWebSocket:
		opts.Transports = []string{"websocket"}
	case modePolling:
		opts.Transports = []string{"polling"}
	case modeUpgrade:
		opts.Transports = []string{"polling", "websocket"}
		upgraded = make(chan string, 1)
		c.OnUpgrade(func(name string) { upgraded <- name })
		c.OnUpgradeError(func(err error) { upgraded <- "error: " + err.Error() })
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	if err := c.Connect(ctx, url, opts); err != nil {
		return nil, err
	}
	e := &eioConn{c: c}
	if upgraded != nil {
		select {
		case name := <-upgraded:
			if name != "websocket" {
				e.close()
				return nil, errors.New("upgrade: " + name)
			}
		case <-ctx.Done():
			e.close()
			return nil, fmt.Errorf("upgrade: %w", ctx.Err())
		}
	}
	return e, nil
}

func (e *eioConn) sender(data []byte, binary bool) func() error {
	if binary {
		return func() error { return e.c.SendBinary(data) }
	}
	text := string(data)
	return func() error { return e.c.SendText(text) }
}

func (e *eioConn) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.c.Disconnect(ctx)
	_ = e.c.Wait(ctx)
}
