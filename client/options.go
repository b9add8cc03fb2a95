package client

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
)

// Options configures a [Client]. The zero value, and a nil *Options, give
// the defaults documented per field.
type Options struct {
	// HTTPClient makes every request of both transports and dials the
	// WebSocket, so its TLS settings, proxy and cookie jar apply to all
	// of them. Nil means a client of the package's own with a cookie jar.
	HTTPClient *http.Client
	// Header is sent with every request and on the WebSocket handshake, in
	// addition to ConnectOptions.Header.
	Header http.Header
	// Logger receives one Info line per state change and Debug lines per
	// packet. Nil means silent. Header and cookie values are never logged.
	Logger *slog.Logger
	// Transports is the registry transport names are looked up in. Nil
	// means polling and websocket.
	Transports *transports.Registry
	// TimestampParam names the cache-busting query parameter added to
	// polling requests. Empty means "t"; "-" disables it.
	TimestampParam string
	// MaxBufferedBytes bounds the message bytes accepted by Send and not yet
	// handed to a transport; past it Send returns [ErrBufferFull]. Zero
	// means 16 MiB; negative means no bound.
	MaxBufferedBytes int
	// ProbeTimeout bounds an upgrade probe. Zero means 10 s.
	ProbeTimeout time.Duration
	// CloseTimeout bounds a graceful Disconnect. Zero means 5 s.
	CloseTimeout time.Duration
	// JSON encodes values that are neither string nor []byte in Send. Nil
	// means encoding/json.
	JSON JSONCodec
}

// ConnectOptions configures one connection. A nil *ConnectOptions gives the
// defaults documented per field.
type ConnectOptions struct {
	// Header holds extra headers for every request of this connection and
	// for the WebSocket handshake.
	Header http.Header
	// Transports lists the transports to use in upgrade order. Nil means
	// polling, then websocket. ["websocket"] opens a WebSocket directly;
	// ["polling"] never upgrades.
	Transports []string
	// Path is the Engine.IO path. Empty means "/engine.io/". The URL's
	// own path is not used, as in the reference clients.
	Path string
	// Query holds extra query parameters for every request.
	Query url.Values
	// Revision is the protocol revision: codec.V4 (the default when zero)
	// or codec.V3.
	Revision codec.Revision
	// NoUpgrade keeps the session on its first transport.
	NoUpgrade bool
}
