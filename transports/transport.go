package transports

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/eio-go/eio/codec"
)

// Transport carries encoded Engine.IO packets in both directions.
//
// Read and Write may be called concurrently with each other, but a caller
// never has two Reads or two Writes outstanding at once. Close may be called
// at any time, concurrently with Read and Write, which then return errors;
// it must be safe to call more than once.
type Transport interface {
	// Name returns the transport's name on the wire, such as "polling".
	Name() string
	// Read blocks until packets arrive. A polled transport makes one
	// long-poll request per call (or per response, for a [PartReader]); a
	// streaming transport returns the packets of one frame. Returned
	// packets must not alias buffers the transport reuses.
	Read(ctx context.Context) ([]codec.Packet, error)
	// Write sends packets, as one payload or as consecutive frames, and
	// returns once they are handed to the network.
	Write(ctx context.Context, pkts []codec.Packet) error
	// Close releases the transport. A graceful close (ctx not done) may
	// finish a closing handshake; once ctx is done it closes at once.
	Close(ctx context.Context) error
}

// ErrPeerClosed matches the error a transport returns when the server
// closed it cleanly (a WebSocket close frame with a normal status), as
// opposed to a connection that broke.
var ErrPeerClosed = errors.New("closed by the server")

// SessionAware is implemented by transports that need to know the session
// once the handshake completes (a polling transport adds the sid to every
// later request).
type SessionAware interface {
	SetSession(hs codec.Handshake)
}

// PartReader is implemented by polled transports whose Read may return the
// packets of one response over several calls. After a Read, More reports
// whether the response has packets left: the next Read returns more of
// them, without a request. Until then the poll has not finished.
type PartReader interface {
	More() bool
}

// WriteStarter is implemented by transports that can start a write
// without waiting for the network, so that a caller that must not block
// can still write on its own goroutine. StartWrite writes pkts as Write
// would and reports done when the write is complete. When done is false
// and err is nil, the rest of the write (possibly all of it) is held by
// the transport, and FinishWrite, which may wait for the network,
// completes it; nothing else may be written in between. Ending ctx closes
// the transport, as for Write.
type WriteStarter interface {
	StartWrite(ctx context.Context, pkts []codec.Packet) (done bool, err error)
	FinishWrite(ctx context.Context) error
}

// Config is what a transport is opened with.
type Config struct {
	// URL is the server's Engine.IO endpoint: scheme http or https (ws and
	// wss are accepted), host, the Engine.IO path, and the application's
	// own query parameters. Transports add EIO, transport, sid and the
	// timestamp parameter themselves.
	URL *url.URL
	// Revision is the protocol revision, sent as EIO.
	Revision codec.Revision
	// SID is the session id, empty for the handshake transport.
	SID string
	// Header holds extra request headers for every HTTP request and for the
	// WebSocket handshake.
	Header http.Header
	// HTTPClient makes the requests (and dials the WebSocket); it carries
	// TLS settings, proxies and the cookie jar. Nil means a default client.
	HTTPClient *http.Client
	// StreamHTTPClient, when set, dials the transports that take their
	// connection over (the WebSocket handshake) instead of HTTPClient.
	// Such a connection never goes back to an idle pool, so one client
	// made for it can serve many sessions without keeping their
	// connections alive.
	StreamHTTPClient *http.Client
	// TimestampParam names the cache-busting query parameter; empty
	// disables it.
	TimestampParam string
	// MaxPayload is the session's maxPayload when known (0: unknown).
	MaxPayload int
	// RequestTimeout bounds each request that should be answered at once:
	// a polling POST, the polling handshake GET and the WebSocket
	// handshake. A long-poll GET, which the server holds until it has
	// something to send, is bounded by the session's pingInterval plus
	// pingTimeout plus RequestTimeout instead. Zero means no bound.
	RequestTimeout time.Duration
}

// Query returns the query string of a request of the named transport: the
// application's parameters, then EIO, transport and sid.
func (c *Config) Query(transport string) url.Values {
	q := url.Values{}
	if c.URL != nil {
		for k, v := range c.URL.Query() {
			q[k] = append([]string(nil), v...)
		}
	}
	q.Set("EIO", c.Revision.String())
	q.Set("transport", transport)
	if c.SID != "" {
		q.Set("sid", c.SID)
	}
	return q
}

// Endpoint returns a copy of URL with the scheme a transport uses:
// http or https for HTTP requests, ws or wss for a WebSocket, keeping
// whether it is secure. The query is left to the caller.
func (c *Config) Endpoint(websocket bool) url.URL {
	u := *c.URL
	secure := u.Scheme == "https" || u.Scheme == "wss"
	switch {
	case websocket && secure:
		u.Scheme = "wss"
	case websocket:
		u.Scheme = "ws"
	case secure:
		u.Scheme = "https"
	default:
		u.Scheme = "http"
	}
	return u
}

// Opener opens a transport. It returns once the transport can carry
// packets: at once for polling, after the handshake for a WebSocket.
type Opener func(ctx context.Context, cfg Config) (Transport, error)

// Registration describes a transport kind to the client.
type Registration struct {
	// Name is the transport's name on the wire.
	Name string
	// Polled marks request-driven transports (see fsm.TransportInfo).
	Polled bool
	// Open opens one transport of this kind.
	Open Opener
}

// Registry maps transport names to registrations. The zero value is empty
// and ready to use; a Registry is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Registration
}

// ErrUnknownTransport matches lookups of names nobody registered.
var ErrUnknownTransport = errors.New("unknown transport")

// Register adds or replaces a registration.
func (r *Registry) Register(reg Registration) error {
	if reg.Name == "" || strings.ContainsAny(reg.Name, ",& =") || reg.Open == nil {
		return fmt.Errorf("transports: invalid registration %q", reg.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]Registration)
	}
	r.m[reg.Name] = reg
	return nil
}

// Lookup returns the registration of name.
func (r *Registry) Lookup(name string) (Registration, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reg, ok := r.m[name]
	if !ok {
		return Registration{}, fmt.Errorf("%w %q", ErrUnknownTransport, name)
	}
	return reg, nil
}

// Names returns the registered names, in no particular order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.m))
	for n := range r.m {
		names = append(names, n)
	}
	return names
}

// stampAlphabet is the digit set of timestamp values.
const stampAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// Stamp adds the cache-busting timestamp parameter to q when the config
// asks for one. Its value is unique within the process and changes on
// every request.
func (c *Config) Stamp(q url.Values) {
	if c.TimestampParam == "" {
		return
	}
	n := stampSeq.Add(1)
	var b [13]byte
	i := len(b)
	for {
		i--
		b[i] = stampAlphabet[n%36]
		n /= 36
		if n == 0 {
			break
		}
	}
	q.Set(c.TimestampParam, string(b[i:]))
}
