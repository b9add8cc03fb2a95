package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eio-go/eio/client"
)

// eioConn is a bench connection made with this module's client, used as
// an application would: Send, OnMessage, Disconnect.
type eioConn struct{ c *client.Client }

// dialEIO connects an eio client in a mode.
func dialEIO(ctx context.Context, url, mode string, onMessage func()) (benchConn, error) {
	c := client.New(nil)
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
		return func() error { return e.c.Send(data) }
	}
	text := string(data)
	return func() error { return e.c.Send(text) }
}

func (e *eioConn) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.c.Disconnect(ctx)
	_ = e.c.Wait(ctx)
}
