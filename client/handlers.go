package client

import (
	"sync"
	"time"

	"github.com/eio-go/eio/codec"
)

// handlers holds the registered handlers. Registration may happen before or
// after Connect, from any goroutine, including from a handler. Handlers
// run one at a time on a goroutine of the connection, in the order of the
// events, never on a reader or writer: a handler may call Send, Disconnect,
// Abort or Connect, but must not call Wait.
type handlers struct {
	mu              sync.RWMutex
	connect         []func(ConnectInfo)
	message         []func(Message)
	disconnect      []func(Reason, error)
	upgrade         []func(string)
	upgradeError    []func(error)
	state           []func(StateChange)
	ping            []func()
	packet          []func(Direction, string, codec.Packet)
	reconnecting    []func(int, time.Duration)
	reconnected     []func(int, ConnectInfo)
	reconnectFailed []func(int, error)
	sendFailed      []func([]Message, error)
}

func add[F any](h *handlers, list *[]F, f F) {
	h.mu.Lock()
	*list = append(*list, f)
	h.mu.Unlock()
}

func has[F any](h *handlers, list *[]F) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(*list) > 0
}

func snapshot[F any](h *handlers, list *[]F) []F {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return *list
}

// OnConnect registers a handler called once a session is established.
func (c *Client) OnConnect(f func(ConnectInfo)) { add(&c.h, &c.h.connect, f) }

// OnMessage registers a handler called for every message, in the order the
// server sent them.
func (c *Client) OnMessage(f func(Message)) { add(&c.h, &c.h.message, f) }

// OnDisconnect registers a handler called once when an established session
// ends, with the reason and, for failures, the error behind it. It is not
// called when Connect fails.
func (c *Client) OnDisconnect(f func(Reason, error)) { add(&c.h, &c.h.disconnect, f) }

// OnUpgrade registers a handler called when the session moves to a new
// transport, with that transport's name.
func (c *Client) OnUpgrade(f func(transport string)) { add(&c.h, &c.h.upgrade, f) }

// OnUpgradeError registers a handler called when an upgrade is abandoned;
// the session goes on on its current transport.
func (c *Client) OnUpgradeError(f func(error)) { add(&c.h, &c.h.upgradeError, f) }

// OnStateChange registers a handler called for every transition of the
// lifecycle machine, in order.
func (c *Client) OnStateChange(f func(StateChange)) { add(&c.h, &c.h.state, f) }

// OnPing registers a handler called on every heartbeat: a ping from a v4
// server, a pong from a v3 server.
func (c *Client) OnPing(f func()) { add(&c.h, &c.h.ping, f) }

// OnPacket registers a handler called for every packet, for debugging:
// [Inbound] packets as they arrive, [Outbound] ones as they are handed to
// a transport, with the transport's name; upgrade probes and heartbeats
// included. The handler must not modify p.Data.
func (c *Client) OnPacket(f func(dir Direction, transport string, p codec.Packet)) {
	add(&c.h, &c.h.packet, f)
}

// OnSendFailed registers a handler called with messages that Send
// accepted but the client will never hand to a transport, in the order
// they were sent, and why: the session ended first (fsm.ErrClosed), or a
// message turned out too large for a polling payload. Engine.IO has no
// acknowledgements: a message handed to a transport whose connection then
// died is not reported (see docs/reliability.md). The same messages are
// logged as "eio: messages not sent". A report for a session's end may
// come before or after its disconnect handler.
func (c *Client) OnSendFailed(f func(msgs []Message, err error)) {
	add(&c.h, &c.h.sendFailed, f)
}

// OnReconnecting registers a handler called before each reconnection
// attempt (from 1) with the delay the client waits before it.
func (c *Client) OnReconnecting(f func(attempt int, delay time.Duration)) {
	add(&c.h, &c.h.reconnecting, f)
}

// OnReconnected registers a handler called when a reconnection attempt
// succeeded, after the connect handlers of the new session.
func (c *Client) OnReconnected(f func(attempt int, info ConnectInfo)) {
	add(&c.h, &c.h.reconnected, f)
}

// OnReconnectFailed registers a handler called when the client gives up
// reconnecting after Options.Reconnect.MaxAttempts attempts, with the last
// attempt's error. It is not called when Disconnect or Abort stopped the
// reconnection.
func (c *Client) OnReconnectFailed(f func(attempts int, err error)) {
	add(&c.h, &c.h.reconnectFailed, f)
}
