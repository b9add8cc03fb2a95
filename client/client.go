package client

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/polling"
	"github.com/eio-go/eio/transports/websocket"
)

// Client is an Engine.IO client. It holds one connection at a time: a
// session, and with Options.Reconnect the sessions that replace it. Once
// the connection is down, Connect may be called again. A Client is safe
// for concurrent use.
type Client struct {
	opts     Options
	registry *transports.Registry
	wsReg    *transports.Registration // from Options.WebSocketDialOptions
	http     *http.Client
	// streamHTTP dials WebSockets when the client's HTTP transport is its
	// own (see httpClients); nil means http.
	streamHTTP *http.Client
	h          handlers

	mu         sync.Mutex
	conn       *connection
	remembered map[string]string // endpoint → transport that worked directly
}

// New returns a client configured by opts (nil means defaults).
func New(opts *Options) *Client {
	c := &Client{}
	if opts != nil {
		c.opts = *opts
	}
	c.registry = c.opts.Transports
	if c.registry == nil {
		c.registry = builtinTransports()
	}
	if c.opts.WebSocketDialOptions != nil {
		reg := websocket.NewRegistration(wsDialOptions(c.opts.WebSocketDialOptions))
		c.wsReg = &reg
	}
	c.http, c.streamHTTP = httpClients(&c.opts, c.opts.Logger)
	if c.opts.JSON == nil {
		c.opts.JSON = StdJSON{}
	}
	if c.opts.MaxBufferedBytes == 0 {
		c.opts.MaxBufferedBytes = 16 << 20
	}
	switch {
	case c.opts.RequestTimeout == 0:
		c.opts.RequestTimeout = DefaultRequestTimeout
	case c.opts.RequestTimeout < 0:
		c.opts.RequestTimeout = 0
	}
	switch c.opts.TimestampParam {
	case "":
		c.opts.TimestampParam = "t"
	case "-":
		c.opts.TimestampParam = ""
	}
	return c
}

// DefaultTransports returns a new registry holding the polling and
// websocket transports.
func DefaultTransports() *transports.Registry {
	r := &transports.Registry{}
	_ = r.Register(polling.Registration)
	_ = r.Register(websocket.Registration)
	return r
}

// builtinTransports is the registry of clients without Options.Transports:
// DefaultTransports' registry, made once and never changed.
var builtinTransports = sync.OnceValue(DefaultTransports)

// DefaultPath is the Engine.IO path used when ConnectOptions.Path is empty.
const DefaultPath = "/engine.io/"

// Connect opens a session with the server at rawURL and returns once the
// handshake completed, or with an error: a bad URL or transport list
// matches [ErrInvalidURL] or [ErrInvalidTransports] and is reported
// before any request; a failed attempt matches [ErrConnect] and is a
// [*ConnectError] carrying the cause. ctx bounds the connection attempt
// only, not the session: when it ends first, the error matches ctx's
// error (context.DeadlineExceeded for a deadline); when Disconnect or
// Abort stops the attempt, it matches context.Canceled. The session then runs
// in the background until the server or the client ends it; see
// [Client.Wait]. Connect returns [ErrAlreadyConnected] while the client
// has a connection.
func (c *Client) Connect(ctx context.Context, rawURL string, opts *ConnectOptions) error {
	if opts == nil {
		opts = &ConnectOptions{}
	}
	t, err := c.newTarget(rawURL, opts)
	if err != nil {
		return err
	}
	cn := newConnection(c, t)
	for {
		c.mu.Lock()
		old := c.conn
		if old == nil || old.isOver() {
			c.conn = cn
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
		// A connection whose last session is finishing (Connect called
		// from a disconnect handler) is over in a moment.
		if !old.finishing() {
			cn.end()
			return ErrAlreadyConnected
		}
		select {
		case <-old.ended:
		case <-ctx.Done():
			cn.end()
			return &ConnectError{URL: t.base.String(), Err: ctx.Err()}
		}
	}
	if err := cn.open(ctx, true, 0); err != nil {
		cn.end()
		return err
	}
	return nil
}

func (c *Client) connection() *connection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn
}

// current returns the session the facade shows, or nil.
func (c *Client) current() *session {
	if cn := c.connection(); cn != nil {
		return cn.session()
	}
	return nil
}

// Send sends a message: a string as a text message, a []byte as a binary
// message (copied), anything else as a text message holding its JSON
// encoding (see Options.JSON). Messages sent while the session is
// handshaking or upgrading are buffered and sent in order. Send returns
// [ErrClosed] when there is no session (also between reconnection
// attempts), an error matching [ErrMessageTooLarge] when the message
// exceeds the server's maxPayload and [ErrBufferFull] when the write
// buffer is full. Send may be called from a handler.
func (c *Client) Send(v any) error {
	s := c.current()
	if s == nil {
		return ErrClosed
	}
	switch v := v.(type) {
	case string:
		return s.sendCopy(false, v, nil)
	case []byte:
		return s.sendCopy(true, "", v)
	}
	data, err := c.opts.JSON.Marshal(v)
	if err != nil {
		return fmt.Errorf("eio: encoding message: %w", err)
	}
	return s.send(codec.Packet{Type: codec.Message, Data: data})
}

// SendText sends a text message, like Send with a string, without
// boxing the string in an interface.
func (c *Client) SendText(text string) error {
	s := c.current()
	if s == nil {
		return ErrClosed
	}
	return s.sendCopy(false, text, nil)
}

// SendBinary sends a binary message, like Send with a []byte: data is
// copied, so the caller may reuse it.
func (c *Client) SendBinary(data []byte) error {
	s := c.current()
	if s == nil {
		return ErrClosed
	}
	return s.sendCopy(true, "", data)
}

// DecodeJSON decodes a text message holding JSON into v with Options.JSON.
func (c *Client) DecodeJSON(m Message, v any) error {
	if err := c.opts.JSON.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("eio: decoding message: %w", err)
	}
	return nil
}

// Disconnect ends the connection gracefully: buffered messages are
// written, then a close packet, then the transport is closed; a pending
// reconnection is cancelled. It returns once the session's goroutines
// have ended, or when ctx ends, in which case the session is aborted and
// ctx's error returned. It returns [ErrClosed] when there is no
// connection. It may be called from a handler.
func (c *Client) Disconnect(ctx context.Context) error {
	cn := c.connection()
	if cn == nil || cn.isOver() {
		return ErrClosed
	}
	cn.stop(false)
	select {
	case <-cn.ended:
		return nil
	case <-ctx.Done():
		cn.stop(true)
		<-cn.ended
		return ctx.Err()
	}
}

// Abort ends the connection at once, without writing anything, cancels a
// pending reconnection, and returns once the session's goroutines have
// ended. Handlers still see a disconnect with [ReasonClientDisconnect].
func (c *Client) Abort() {
	cn := c.connection()
	if cn == nil {
		return
	}
	cn.stop(true)
	<-cn.ended
}

// Wait blocks until the connection is down for good — the session ended
// and no reconnection follows — and every handler call for it has
// returned, or until ctx ends. It returns nil at once when there is no
// connection. Do not call it from a handler: it would wait for itself.
func (c *Client) Wait(ctx context.Context) error {
	cn := c.connection()
	if cn == nil {
		return nil
	}
	select {
	case <-cn.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Transport returns the name of the transport carrying the session, or ""
// when there is none.
func (c *Client) Transport() string {
	if s := c.current(); s != nil {
		return s.transportName()
	}
	return ""
}

// SID returns the session id, or "" before the handshake.
func (c *Client) SID() string {
	if s := c.current(); s != nil {
		return s.sid()
	}
	return ""
}

// State returns the lifecycle state of the current or last session.
// Between reconnection attempts it is the last session's, disconnected.
func (c *Client) State() State {
	if s := c.current(); s != nil {
		return s.currentState()
	}
	return fsm.Disconnected
}

// Reason returns why the last session ended, with the error behind it for
// failures. It returns "" while a session is live or before any; the
// reason is known from the moment the session ends, before its handlers and
// goroutines have finished.
func (c *Client) Reason() (Reason, error) {
	s := c.current()
	if s == nil {
		return "", nil
	}
	v := s.getView()
	return v.reason, v.err
}
