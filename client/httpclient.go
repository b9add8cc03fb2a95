package client

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	ws "github.com/coder/websocket"

	"github.com/eio-go/eio/transports/websocket"
)

// ErrRedirect matches the error of a request the server redirected to
// another host (a different host or port), from https to http, or more
// than 10 times: the client's default redirect policy refuses those (see
// Options.HTTPClient). It reaches Connect's error when the handshake is
// redirected, and the session's error when a later request is.
var ErrRedirect = errors.New("eio: redirect refused")

// maxRedirects is how many redirects one request may follow, as
// net/http's default policy.
const maxRedirects = 10

// sameHostRedirects is the default redirect policy: a redirect is
// followed only to the host and port of the original request, and never
// from https to http. Headers given in the options (credentials among
// them) are sent on every redirected request, which net/http only
// filters for Authorization and cookies; keeping to the host keeps them
// with the server they were meant for.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	switch {
	case len(via) >= maxRedirects:
		return fmt.Errorf("%w: stopped after %d redirects", ErrRedirect, maxRedirects)
	case !strings.EqualFold(req.URL.Host, first.Host):
		return fmt.Errorf("%w: from %s to another host, %s", ErrRedirect, first.Host, req.URL.Host)
	case first.Scheme == "https" && req.URL.Scheme != "https":
		return fmt.Errorf("%w: from https to %s", ErrRedirect, req.URL.Scheme)
	}
	return nil
}

// httpClients builds the *http.Client both transports use from the
// options: the one given (shallow-copied, never changed) or one of our own
// with a cookie jar, with TLSConfig and InsecureSkipVerify applied to a
// clone of its transport, and the same-host redirect policy unless the
// client given has a CheckRedirect of its own.
//
// With a transport of our own and no TLS options, it also returns the
// client that dials WebSockets: the same jar and policy over one
// transport that all such clients share (see streamTransport). The own
// transport then only serves polling, and is made on its first request.
func httpClients(o *Options, log *slog.Logger) (hc, stream *http.Client) {
	hc = new(http.Client)
	if o.HTTPClient != nil {
		*hc = *o.HTTPClient
		if hc.Timeout > 0 {
			warn(log, "eio: Options.HTTPClient has a Timeout; it cuts long-poll requests, use Options.RequestTimeout instead",
				"timeout", hc.Timeout)
		}
	} else {
		hc.Jar = newBoundedJar(log)
	}
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = sameHostRedirects
	}
	needTLS := o.TLSConfig != nil || o.InsecureSkipVerify
	switch tr := hc.Transport.(type) {
	case nil:
		if !needTLS {
			hc.Transport = new(ownTransport)
			stream = &http.Client{Jar: hc.Jar, CheckRedirect: hc.CheckRedirect, Transport: streamTransport()}
			break
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = tlsConfig(o, t.TLSClientConfig)
		// The client closes its idle connections when a connection ends,
		// so WebSocket handshakes may share it.
		websocket.EnableCorking(t)
		hc.Transport = t
	case *http.Transport:
		if needTLS {
			t := tr.Clone()
			t.TLSClientConfig = tlsConfig(o, t.TLSClientConfig)
			hc.Transport = t
		}
	default:
		if needTLS {
			warn(log, "eio: Options.TLSConfig and InsecureSkipVerify are not applied: HTTPClient.Transport is not an *http.Transport")
		}
	}
	if where := insecure(o, hc); where != "" {
		warn(log, "eio: TLS certificate verification is off (InsecureSkipVerify); use it for tests only", "set_in", where)
	}
	return hc, stream
}

// ownTransport is a client's own HTTP transport for polling, a clone of
// http.DefaultTransport made on the first request: a client that only
// uses WebSockets never makes it.
type ownTransport struct {
	t atomic.Pointer[http.Transport]
}

func (o *ownTransport) get() *http.Transport {
	if t := o.t.Load(); t != nil {
		return t
	}
	// A clone that loses the race was never used and holds nothing.
	o.t.CompareAndSwap(nil, http.DefaultTransport.(*http.Transport).Clone())
	return o.t.Load()
}

// RoundTrip makes the request with the transport.
func (o *ownTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return o.get().RoundTrip(req)
}

// CloseIdleConnections closes the transport's idle connections, if it
// was made.
func (o *ownTransport) CloseIdleConnections() {
	if t := o.t.Load(); t != nil {
		t.CloseIdleConnections()
	}
}

// streamTransport is the HTTP transport of the WebSocket handshakes of
// every client with a transport of its own and no TLS options: a clone of
// http.DefaultTransport that corks (see websocket.EnableCorking) and keeps
// no connection alive. A handshake's connection is taken over by its
// WebSocket, or closed when the server refuses it, so the transport never
// holds a connection (or its goroutines) after a session ended.
var streamTransport = sync.OnceValue(func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	websocket.EnableCorking(t)
	return t
})

// insecure names the option that turned TLS certificate verification
// off, however it was turned off, or returns "".
func insecure(o *Options, hc *http.Client) string {
	skips := func(c *http.Client) bool {
		tr, ok := c.Transport.(*http.Transport)
		return ok && tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify
	}
	switch {
	case o.InsecureSkipVerify:
		return "Options.InsecureSkipVerify"
	case o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify:
		return "Options.TLSConfig"
	case skips(hc):
		return "Options.HTTPClient"
	case o.WebSocketDialOptions != nil && o.WebSocketDialOptions.HTTPClient != nil && skips(o.WebSocketDialOptions.HTTPClient):
		return "Options.WebSocketDialOptions.HTTPClient"
	}
	return ""
}

// wsDialOptions returns a shallow copy of opts whose HTTPClient, when it
// has one without a CheckRedirect, is a copy with the same-host redirect
// policy: coder/websocket would otherwise follow every redirect.
func wsDialOptions(opts *ws.DialOptions) *ws.DialOptions {
	o := *opts
	if o.HTTPClient != nil && o.HTTPClient.CheckRedirect == nil {
		hc := *o.HTTPClient
		hc.CheckRedirect = sameHostRedirects
		o.HTTPClient = &hc
	}
	return &o
}

// tlsConfig returns the TLS configuration for a transport whose own is
// old: Options.TLSConfig (or old) cloned, with verification turned off
// when asked.
func tlsConfig(o *Options, old *tls.Config) *tls.Config {
	var cfg *tls.Config
	switch {
	case o.TLSConfig != nil:
		cfg = o.TLSConfig.Clone()
	case old != nil:
		cfg = old.Clone()
	default:
		cfg = &tls.Config{}
	}
	if o.InsecureSkipVerify {
		cfg.InsecureSkipVerify = true
	}
	return cfg
}

func warn(log *slog.Logger, msg string, args ...any) {
	if log != nil {
		log.Warn(msg, args...)
	}
}
