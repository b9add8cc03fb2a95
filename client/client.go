package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/polling"
	"github.com/eio-go/eio/transports/websocket"
)

// Client is an Engine.IO client. It holds one session at a time; after a
// session ends, Connect may be called again. A Client is safe for
// concurrent use.
type Client struct {
	opts     Options
	registry *transports.Registry
	http     *http.Client
	h        handlers

	mu   sync.Mutex
	sess *session
}

// New returns a client configured by opts (nil means defaults).
func New(opts *Options) *Client {
	c := &Client{}
	if opts != nil {
		c.opts = *opts
	}
	c.registry = c.opts.Transports
	if c.registry == nil {
		c.registry = DefaultTransports()
	}
	c.http = c.opts.HTTPClient
	if c.http == nil {
		jar, _ := cookiejar.New(nil)
		c.http = &http.Client{Jar: jar}
	}
	if c.opts.JSON == nil {
		c.opts.JSON = StdJSON{}
	}
	if c.opts.MaxBufferedBytes == 0 {
		c.opts.MaxBufferedBytes = 16 << 20
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

// DefaultPath is the Engine.IO path used when ConnectOptions.Path is empty.
const DefaultPath = "/engine.io/"

// Connect opens a session with the server at rawURL and returns once the
// handshake completed, or with an error that matches [ErrConnect] (and
// [ErrInvalidURL] or [ErrInvalidTransports] for bad arguments). ctx bounds
// the connection attempt only, not the session. The session then runs in
// the background until the server or the client ends it; see [Client.Wait].
func (c *Client) Connect(ctx context.Context, rawURL string, opts *ConnectOptions) error {
	if opts == nil {
		opts = &ConnectOptions{}
	}
	base, err := buildURL(rawURL, opts)
	if err != nil {
		return err
	}
	infos, regs, err := c.transportList(opts.Transports)
	if err != nil {
		return err
	}
	rev := opts.Revision
	if rev == 0 {
		rev = codec.V4
	}
	if !rev.Valid() {
		return fmt.Errorf("%w: protocol revision %d (want 3 or 4)", ErrConnect, int(rev))
	}
	header := c.opts.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	for k, v := range opts.Header {
		header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}

	c.mu.Lock()
	if c.sess != nil && !c.sess.ended() {
		c.mu.Unlock()
		return ErrAlreadyConnected
	}
	s := newSession(c, regs, transports.Config{
		URL:            base,
		Revision:       rev,
		Header:         header,
		HTTPClient:     c.http,
		TimestampParam: c.opts.TimestampParam,
	})
	c.sess = s
	c.mu.Unlock()

	s.start(fsm.Connect{
		Revision:     rev,
		Transports:   infos,
		NoUpgrade:    opts.NoUpgrade,
		ProbeTimeout: c.opts.ProbeTimeout,
		CloseTimeout: c.opts.CloseTimeout,
	})
	select {
	case err := <-s.connectRes:
		if err != nil {
			<-s.loopDone
			return &ConnectError{URL: base.String(), Err: err}
		}
		return nil
	case <-ctx.Done():
		s.requestDisconnect(true)
		<-s.loopDone
		return &ConnectError{URL: base.String(), Err: ctx.Err()}
	}
}

func buildURL(rawURL string, opts *ConnectOptions) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return nil, fmt.Errorf("%w: %q: scheme must be http, https, ws or wss", ErrInvalidURL, rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: %q: no host", ErrInvalidURL, rawURL)
	}
	p := opts.Path
	if p == "" {
		p = DefaultPath
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	q := u.Query()
	for k, v := range opts.Query {
		q[k] = append([]string(nil), v...)
	}
	for _, k := range []string{"EIO", "transport", "sid"} {
		if q.Has(k) {
			return nil, fmt.Errorf("%w: query parameter %q is reserved", ErrInvalidURL, k)
		}
	}
	return &url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host, Path: p, RawQuery: q.Encode()}, nil
}

func (c *Client) transportList(names []string) ([]fsm.TransportInfo, map[string]transports.Registration, error) {
	if names == nil {
		names = []string{polling.Name, websocket.Name}
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%w: empty", ErrInvalidTransports)
	}
	infos := make([]fsm.TransportInfo, 0, len(names))
	regs := make(map[string]transports.Registration, len(names))
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, nil, fmt.Errorf("%w: %q listed twice", ErrInvalidTransports, n)
		}
		reg, err := c.registry.Lookup(n)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidTransports, err)
		}
		regs[n] = reg
		infos = append(infos, fsm.TransportInfo{Name: n, Polled: reg.Polled})
	}
	return infos, regs, nil
}

func (c *Client) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// Send sends a message: a string as a text message, a []byte as a binary
// message (copied), anything else as a text message holding its JSON
// encoding (see Options.JSON). Messages sent while the session is
// handshaking or upgrading are buffered and sent in order. Send returns
// [ErrClosed] when there is no session, [ErrMessageTooLarge] when the
// message exceeds the server's maxPayload and [ErrBufferFull] when the
// write buffer is full.
func (c *Client) Send(v any) error {
	s := c.current()
	if s == nil {
		return ErrClosed
	}
	p, err := packetFor(v, c.opts.JSON)
	if err != nil {
		return err
	}
	return s.send(p)
}

// Disconnect ends the session gracefully: buffered messages are written,
// then a close packet, then the transport is closed. It returns once the
// session's goroutines have ended, or when ctx ends, in which case the
// session is aborted. It returns [ErrClosed] when there is no session.
func (c *Client) Disconnect(ctx context.Context) error {
	s := c.current()
	if s == nil || s.ended() {
		return ErrClosed
	}
	s.requestDisconnect(false)
	select {
	case <-s.loopDone:
		return nil
	case <-ctx.Done():
		s.requestDisconnect(true)
		<-s.loopDone
		return ctx.Err()
	}
}

// Abort ends the session at once, without writing anything, and returns
// once its goroutines have ended. Handlers still see a disconnect with
// [ReasonClientDisconnect].
func (c *Client) Abort() {
	s := c.current()
	if s == nil {
		return
	}
	s.requestDisconnect(true)
	<-s.loopDone
}

// Wait blocks until the session has ended and every handler call for it
// has returned, or until ctx ends. It returns nil at once when there is no
// session. Do not call it from a handler: it would wait for itself.
func (c *Client) Wait(ctx context.Context) error {
	s := c.current()
	if s == nil {
		return nil
	}
	select {
	case <-s.done:
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason, s.err
}
