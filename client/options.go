package client

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
)

// Options configures a [Client]. The zero value, and a nil *Options, give
// the defaults documented per field.
type Options struct {
	// HTTPClient makes every request of both transports and dials the
	// WebSocket, so its proxy, TLS settings and cookie jar apply to all
	// of them; a cookie jar is what keeps a cookie-based sticky session
	// (a load balancer's affinity cookie) across requests. The client
	// uses a shallow copy and never changes the one given. Leave its
	// Timeout zero: it would cut long-poll requests; use RequestTimeout.
	//
	// Redirects are followed only to the host and port of the original
	// request, never from https to http, and at most 10 times; any other
	// redirect fails the request with an error matching [ErrRedirect], so
	// the headers set here and in ConnectOptions never reach a host they
	// were not meant for. A client given here with a CheckRedirect of its
	// own keeps it (return nil from it to follow every redirect).
	//
	// Nil means a client of the package's own: a cookie jar that keeps at
	// most 64 cookies of at most 4,096 bytes each (it drops further ones
	// and logs a warning with their names), and a transport cloned from
	// http.DefaultTransport, so proxies come from the environment
	// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY; Go never proxies requests to
	// localhost or 127.0.0.1 that way). Its
	// polling transport is the client's and is made on the first request;
	// without TLSConfig or InsecureSkipVerify, WebSocket handshakes go
	// through one transport all such clients share, with the same
	// settings, which keeps no connection alive (a handshake's connection
	// becomes the WebSocket's, or is closed).
	HTTPClient *http.Client
	// TLSConfig is used for https and wss connections: a custom root CA
	// pool (RootCAs), client certificates (Certificates), a server name.
	// It is applied to a clone of HTTPClient's transport when that is an
	// *http.Transport (or nil). Nil means the transport's own settings,
	// which verify the server against the system roots.
	TLSConfig *tls.Config
	// InsecureSkipVerify turns certificate verification off. It is for
	// tests against self-signed servers only: anyone on the path can read
	// and change the traffic. The client logs a warning through Logger
	// when it is set, and as well when verification is turned off by
	// InsecureSkipVerify in TLSConfig or in the TLS configuration of
	// HTTPClient's or WebSocketDialOptions.HTTPClient's *http.Transport.
	// Verification is on unless one of those turns it off.
	InsecureSkipVerify bool
	// RequestTimeout bounds each request that a server answers at once:
	// a polling POST, the polling handshake GET and the WebSocket
	// handshake. A long-poll GET is bounded by the session's
	// pingInterval + pingTimeout + RequestTimeout instead. Zero means 5 s
	// (python-engineio's request_timeout); negative means no bound.
	RequestTimeout time.Duration
	// Header is sent with every request and on the WebSocket handshake, in
	// addition to ConnectOptions.Header.
	Header http.Header
	// Logger receives one Info line per state change and Debug lines per
	// packet. Nil means silent. Header and cookie values are never logged.
	// It is called while the session handles an input, so its handler
	// must not call the Client's Send, Disconnect, Abort or Connect (State,
	// SID, Transport and Reason are safe).
	Logger *slog.Logger
	// Transports is the registry transport names are looked up in. Nil
	// means polling and websocket (see [DefaultTransports]).
	Transports *transports.Registry
	// WebSocketDialOptions are extra options for the WebSocket dial:
	// subprotocols, permessage-deflate compression (CompressionMode), a
	// Host override, ping and pong callbacks. HTTPHeader is merged with
	// the headers above, which win; HTTPClient, when set, replaces the
	// client above for the WebSocket only, with the same redirect policy
	// unless it has a CheckRedirect of its own. When set, the name
	// "websocket" always means the built-in WebSocket transport with
	// these options, whatever Transports holds. Nil means
	// coder/websocket's defaults (no compression, no subprotocol).
	WebSocketDialOptions *ws.DialOptions
	// TimestampParam names the cache-busting query parameter added to
	// polling requests (WebSocket handshakes are not stamped). Empty
	// means "t"; "-" disables it.
	TimestampParam string
	// RememberUpgrade makes Connect start with a WebSocket directly once
	// a session of this Client to the same endpoint (scheme, host and
	// path) has reached or upgraded to a WebSocket. The memory belongs
	// to the Client, not the process, and a failed direct WebSocket
	// clears it (the attempt then falls back to the listed transports).
	RememberUpgrade bool
	// Reconnect enables automatic reconnection after an established
	// session ends for any reason but a client disconnect. Nil means
	// no reconnection.
	Reconnect *ReconnectPolicy
	// MaxBufferedBytes bounds the message bytes accepted by Send and not yet
	// handed to a transport, each message counting 64 bytes more than its
	// data (so that empty ones are bounded too); past it Send returns
	// [ErrBufferFull]. A single message larger than the bound is accepted
	// when nothing else waits. Zero means 16 MiB; negative means no bound.
	MaxBufferedBytes int
	// ProbeTimeout bounds an upgrade probe. Zero means 10 s.
	ProbeTimeout time.Duration
	// CloseTimeout bounds a graceful Disconnect. Zero means 5 s.
	CloseTimeout time.Duration
	// MaxPacketsPerPayload bounds the packets one polling POST carries;
	// negative means no bound beyond the server's maxPayload. Zero means 16
	// with servers whose handshake advertises no maxPayload —
	// python-engineio (Flask-SocketIO's server) drops a POST of more than 16
	// packets while answering 200 OK — and no bound with servers that
	// advertise one (engine.io 4 and later), where batching is fastest.
	MaxPacketsPerPayload int
	// JSON encodes values that are neither string nor []byte in Send, and
	// decodes in [Client.DecodeJSON]. Nil means encoding/json.
	JSON JSONCodec
}

// DefaultRequestTimeout is the request timeout used when
// Options.RequestTimeout is zero.
const DefaultRequestTimeout = 5 * time.Second

// ConnectOptions configures one connection. A nil *ConnectOptions gives the
// defaults documented per field.
type ConnectOptions struct {
	// Header holds extra headers for every request of this connection and
	// for the WebSocket handshake.
	Header http.Header
	// Transports lists the transports to use in upgrade order. Nil means
	// polling, then websocket. ["websocket"] opens a WebSocket directly;
	// ["polling"] never upgrades. When the first transport is not a
	// polled one (a WebSocket) and fails to open, Connect tries the list
	// from the next transport on: ["websocket", "polling"] falls back to
	// polling when the WebSocket cannot be opened.
	Transports []string
	// Path is the Engine.IO path. Empty means "/engine.io/". A missing
	// leading or trailing slash is added ("socket.io" means
	// "/socket.io/"), as both reference clients do; servers answer 404
	// without it. The URL's own path is not used, as in the reference
	// clients.
	Path string
	// Query holds extra query parameters for every request.
	Query url.Values
	// Revision is the protocol revision: codec.V4 (the default when zero)
	// or codec.V3.
	Revision codec.Revision
	// NoUpgrade keeps the session on its first transport.
	NoUpgrade bool
}
