package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
)

// Name is the transport's name on the wire.
const Name = "websocket"

// DefaultReadLimit bounds one frame (one message) once the session is
// open. It does not depend on the session's maxPayload: that figure
// bounds what the server accepts, not what it sends.
const DefaultReadLimit = 16 << 20

// HandshakeReadLimit bounds the first frame of a connection that opens a
// session (no session id yet): the open packet, a few hundred bytes.
const HandshakeReadLimit = 1 << 20

// closeGrace bounds the WebSocket closing handshake of a graceful Close.
const closeGrace = 2 * time.Second

// Registration registers this transport with a [transports.Registry],
// with coder/websocket's default dial options.
var Registration = transports.Registration{Name: Name, Open: Open}

// NewRegistration returns a registration of this transport whose dials
// start from opts: subprotocols, compression, Host and the ping and pong
// callbacks are taken as they are. HTTPHeader is added to the configured
// headers, which win for a name present in both; HTTPClient, when set,
// replaces the configured client. A nil opts is the same as
// [Registration].
func NewRegistration(opts *ws.DialOptions) transports.Registration {
	var base ws.DialOptions
	if opts != nil {
		base = *opts
		base.HTTPHeader = opts.HTTPHeader.Clone()
		base.Subprotocols = append([]string(nil), opts.Subprotocols...)
	}
	return transports.Registration{Name: Name, Open: func(ctx context.Context, cfg transports.Config) (transports.Transport, error) {
		return open(ctx, cfg, base)
	}}
}

// Transport is a WebSocket transport.
type Transport struct {
	conn *ws.Conn
	rev  codec.Revision
	buf  []byte    // write buffer, used by one Write at a time
	cork *corkConn // the connection under the WebSocket, nil if unknown

	readWatch  ctxWatch       // used by Read only
	in         inbound        // used by Read only
	opening    bool           // the first frame, the open packet, is next; Read only
	writeWatch ctxWatch       // used by Write only
	started    []codec.Packet // a StartWrite left to FinishWrite, when it wrote nothing
	finishing  bool           // a StartWrite left part of its frames to FinishWrite

	closeOnce sync.Once
	closeErr  error
}

// Open dials the WebSocket endpoint of cfg.URL.
func Open(ctx context.Context, cfg transports.Config) (transports.Transport, error) {
	return open(ctx, cfg, ws.DialOptions{})
}

// maxErrorBody bounds the part of a refused handshake's body kept in the
// error (coder/websocket keeps at most 1 KiB of it).
const maxErrorBody = 1024

func open(ctx context.Context, cfg transports.Config, opts ws.DialOptions) (transports.Transport, error) {
	if cfg.URL == nil {
		return nil, errors.New("websocket: no URL")
	}
	u := cfg.Endpoint(true)
	q := cfg.Query(Name)
	u.RawQuery = q.Encode()
	if opts.HTTPClient == nil {
		opts.HTTPClient = cfg.StreamHTTPClient
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	var slot corkSlot
	opts.HTTPClient = corkingClient(opts.HTTPClient)
	header := opts.HTTPHeader.Clone()
	if header == nil {
		header = http.Header{}
	}
	for k, v := range cfg.Header {
		header[k] = append([]string(nil), v...)
	}
	opts.HTTPHeader = header
	if cfg.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.RequestTimeout)
		defer cancel()
	}
	conn, resp, err := ws.Dial(withCorkSlot(ctx, &slot), u.String(), &opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			var body []byte
			if resp.Body != nil {
				body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
				_ = resp.Body.Close()
			}
			return nil, fmt.Errorf("websocket dial: %w", transports.NewHTTPError("WebSocket", resp.StatusCode, body))
		}
		return nil, fmt.Errorf("websocket dial: %w", err)
	}
	t := &Transport{conn: conn, rev: cfg.Revision, cork: slot.get()}
	if cfg.SID == "" {
		t.conn.SetReadLimit(HandshakeReadLimit)
		t.opening = true
	} else {
		t.conn.SetReadLimit(DefaultReadLimit)
	}
	return t, nil
}

// Name returns "websocket".
func (t *Transport) Name() string { return Name }

// watch makes the end of ctx close the connection, as coder/websocket does
// for the context of a call, but arms one hook per context instead of one
// per frame: a context without Done costs coder/websocket no timer.
func (t *Transport) watch(w *ctxWatch, ctx context.Context) {
	if ctx == w.ctx {
		return
	}
	if w.stop != nil {
		w.stop()
	}
	w.ctx = ctx
	w.stop = context.AfterFunc(ctx, func() { _ = t.conn.CloseNow() })
}

// ctxWatch is the context a Read or Write loop was last called with.
type ctxWatch struct {
	ctx  context.Context
	stop func() bool
}

// Read returns the packet of the next frame. Ending ctx closes the
// connection.
func (t *Transport) Read(ctx context.Context) ([]codec.Packet, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("websocket read: %w", err)
	}
	t.watch(&t.readWatch, ctx)
	typ, r, err := t.conn.Reader(context.Background())
	if err != nil {
		return nil, t.wrap("read", err)
	}
	data, err := t.in.readFrame(r)
	if err != nil {
		return nil, t.wrap("read", err)
	}
	p, err := codec.DecodeFrame(t.rev, data, typ == ws.MessageBinary)
	if err != nil {
		return nil, fmt.Errorf("websocket read: %w", err)
	}
	if t.opening {
		// The open packet is in: frames after it may be larger.
		t.opening = false
		t.conn.SetReadLimit(DefaultReadLimit)
	}
	return t.in.one(p), nil
}

// Write sends one frame per packet, handing the frames of one call to the
// network in one write where the connection allows. Ending ctx closes the
// connection.
func (t *Transport) Write(ctx context.Context, pkts []codec.Packet) (werr error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("websocket write: %w", err)
	}
	t.watch(&t.writeWatch, ctx)
	if t.cork != nil && len(pkts) > 1 {
		t.cork.cork()
		defer func() {
			if err := t.cork.uncork(); err != nil && werr == nil {
				werr = t.wrap("write", err)
			}
		}()
	}
	return t.frames(pkts)
}

// maxStart bounds the frame bytes StartWrite holds before it hands them
// to the network: a larger write is left to FinishWrite.
const maxStart = 64 << 10

// StartWrite writes pkts as Write does, without waiting for the network:
// the frames are held, then handed to the network in one write that
// takes what the connection's send buffer has room for. When some is left
// (or the connection cannot write so, or the frames are large), done is
// false and FinishWrite writes the rest.
func (t *Transport) StartWrite(ctx context.Context, pkts []codec.Packet) (done bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("websocket write: %w", err)
	}
	size := 0
	for _, p := range pkts {
		size += len(p.Data) + 16
	}
	if t.cork == nil || !t.cork.canTry() || size > maxStart {
		t.started = pkts
		return false, nil
	}
	t.watch(&t.writeWatch, ctx)
	t.cork.cork()
	if err := t.frames(pkts); err != nil {
		_ = t.cork.uncork()
		return false, err
	}
	done, err = t.cork.tryUncork()
	if err != nil {
		return false, t.wrap("write", err)
	}
	t.finishing = !done
	return done, nil
}

// FinishWrite completes what the last StartWrite left, waiting for the
// network as Write does.
func (t *Transport) FinishWrite(ctx context.Context) error {
	if pkts := t.started; pkts != nil {
		t.started = nil
		return t.Write(ctx, pkts)
	}
	if !t.finishing {
		return nil
	}
	t.finishing = false
	t.watch(&t.writeWatch, ctx)
	if err := t.cork.uncork(); err != nil {
		return t.wrap("write", err)
	}
	return nil
}

// frames writes one frame per packet.
func (t *Transport) frames(pkts []codec.Packet) error {
	for _, p := range pkts {
		var bin bool
		t.buf, bin = codec.AppendFrame(t.buf[:0], t.rev, p)
		typ := ws.MessageText
		if bin {
			typ = ws.MessageBinary
		}
		if err := t.conn.Write(context.Background(), typ, t.buf); err != nil {
			return t.wrap("write", err)
		}
	}
	if cap(t.buf) > 64<<10 {
		t.buf = nil
	}
	return nil
}

func (t *Transport) wrap(op string, err error) error {
	var ce ws.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case ws.StatusNormalClosure, ws.StatusGoingAway, ws.StatusNoStatusRcvd:
			return fmt.Errorf("websocket %s: %w: %w", op, transports.ErrPeerClosed, err)
		}
		return fmt.Errorf("websocket %s: %w: %w", op, net.ErrClosed, err)
	}
	return fmt.Errorf("websocket %s: %w", op, err)
}

// Close closes the connection: with a closing handshake bounded by ctx and
// a short grace period, or at once when ctx is already done.
func (t *Transport) Close(ctx context.Context) error {
	t.closeOnce.Do(func() {
		if ctx.Err() != nil {
			t.closeErr = t.conn.CloseNow()
			return
		}
		done := make(chan error, 1)
		go func() { done <- t.conn.Close(ws.StatusNormalClosure, "") }()
		timer := time.NewTimer(closeGrace)
		defer timer.Stop()
		select {
		case t.closeErr = <-done:
			return
		case <-ctx.Done():
		case <-timer.C:
		}
		// coder/websocket's CloseNow waits for a Close under way, which
		// runs into timeouts of its own (5 s) when the peer is gone:
		// closing the network connection under it cuts the handshake.
		if t.cork != nil {
			_ = t.cork.Conn.Close()
		}
		_ = t.conn.CloseNow()
		t.closeErr = <-done
	})
	return t.closeErr
}
