package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eio-go/eio/conformance/har"
)

// MaxBody bounds a request or response body the proxy records, in bytes.
// A larger body is refused with 502 Bad Gateway.
const MaxBody = 64 << 20

// Options configure a [Proxy]. A nil *Options means defaults.
type Options struct {
	// Logger receives one Debug line per recorded exchange and Warn lines
	// for failures. Nil means silent.
	Logger *slog.Logger
	// Creator names the program in the HAR's creator field. Empty means
	// eio's own.
	Creator har.Creator
	// Comment is written into the HAR's comment field.
	Comment string
	// Now is the clock; nil means time.Now. Tests use it for stable logs.
	Now func() time.Time
}

// Proxy is a recording reverse proxy for one target server. It is safe for
// concurrent use.
type Proxy struct {
	target *url.URL
	opts   Options
	rp     *httputil.ReverseProxy

	mu      sync.Mutex
	records []*exchange
	conns   map[*wsRelay]struct{}
	closed  bool
	wg      sync.WaitGroup // WebSocket relays
}

// exchange is one request being or having been recorded. Its entry is
// guarded by the proxy's mu.
type exchange struct {
	seq   int
	entry har.Entry
	done  bool // the response is complete (polling) or the socket closed
}

// New returns a proxy that forwards to target, an http or https URL
// (ws and wss are accepted and mean the same server). Only the scheme and
// host of target are used: request paths and queries are passed as the
// client sent them.
func New(target string, opts *Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("record: target: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("record: target %q: scheme must be http, https, ws or wss", target)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("record: target %q has no host", target)
	}
	p := &Proxy{target: &url.URL{Scheme: u.Scheme, Host: u.Host}, conns: map[*wsRelay]struct{}{}}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.Now == nil {
		p.opts.Now = time.Now
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(p.target)
			pr.Out.Host = p.target.Host
		},
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			return p.recordResponse(resp)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.recordError(r, err)
			http.Error(w, "record: "+err.Error(), http.StatusBadGateway)
		},
	}
	return p, nil
}

// Target returns the server the proxy forwards to.
func (p *Proxy) Target() *url.URL { u := *p.target; return &u }

type ctxKey struct{}

// ServeHTTP forwards one request and records it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocket(r) {
		p.serveWebSocket(w, r)
		return
	}
	x := p.begin(r, false)
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
		r.Body.Close()
		if err != nil || len(body) > MaxBody {
			p.fail(x, "request body too large or unreadable")
			http.Error(w, "record: request body too large or unreadable", http.StatusBadGateway)
			return
		}
		p.mu.Lock()
		x.entry.Request.PostData = postData(r.Header.Get("Content-Type"), body)
		x.entry.Request.BodySize = int64(len(body))
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, x)))
}

// begin records the start of a request.
func (p *Proxy) begin(r *http.Request, ws bool) *exchange {
	now := p.opts.Now()
	x := &exchange{entry: har.Entry{
		StartedDateTime: now,
		Request:         requestOf(r, p.recordedURL(r, ws)),
		Timings:         har.Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1},
	}}
	if ws {
		x.entry.ResourceType = "websocket"
	} else {
		x.entry.ResourceType = "xhr"
	}
	p.mu.Lock()
	x.seq = len(p.records)
	p.records = append(p.records, x)
	p.mu.Unlock()
	return x
}

// recordedURL is the URL the request has on the target, as a browser
// talking to the target directly would show it.
func (p *Proxy) recordedURL(r *http.Request, ws bool) string {
	u := url.URL{Scheme: p.target.Scheme, Host: p.target.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	if ws {
		if u.Scheme == "https" {
			u.Scheme = "wss"
		} else {
			u.Scheme = "ws"
		}
	}
	return u.String()
}

// recordResponse reads and records a polling response, then hands the
// body on unchanged.
func (p *Proxy) recordResponse(resp *http.Response) error {
	x, _ := resp.Request.Context().Value(ctxKey{}).(*exchange)
	if x == nil {
		return nil
	}
	headers := p.opts.Now()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading response body: %w", err)
	}
	if len(body) > MaxBody {
		return fmt.Errorf("response body larger than %d bytes", MaxBody)
	}
	end := p.opts.Now()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	p.mu.Lock()
	e := &x.entry
	e.Response = responseOf(resp, body)
	e.Timings.Send = 0
	e.Timings.Wait = ms(headers.Sub(e.StartedDateTime))
	e.Timings.Receive = ms(end.Sub(headers))
	e.Time = e.Timings.Wait + e.Timings.Receive
	x.done = true
	p.mu.Unlock()
	p.debug("recorded", "method", e.Request.Method, "url", e.Request.URL, "status", resp.StatusCode)
	return nil
}

// recordError records a request the target did not answer.
func (p *Proxy) recordError(r *http.Request, err error) {
	x, _ := r.Context().Value(ctxKey{}).(*exchange)
	if x == nil {
		return
	}
	if p.opts.Logger != nil && !errors.Is(err, context.Canceled) {
		p.opts.Logger.Warn("record: proxy error", "url", r.URL.String(), "error", err)
	}
	p.fail(x, err.Error())
}

// fail marks an exchange that got no response from the target.
func (p *Proxy) fail(x *exchange, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x.entry.Response.Status = 0
	x.entry.Response.Error = msg
	x.entry.Time = ms(p.opts.Now().Sub(x.entry.StartedDateTime))
	x.entry.Timings.Wait = x.entry.Time
	x.done = true
}

func (p *Proxy) debug(msg string, kv ...any) {
	if p.opts.Logger != nil {
		p.opts.Logger.Debug("record: "+msg, kv...)
	}
}

// HAR returns a snapshot of what the proxy recorded so far, entries
// ordered by start time. A polling request still waiting for its answer
// has status 0, and an open WebSocket holds the frames seen so far.
func (p *Proxy) HAR() *har.Log {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := &har.Log{Version: har.Version, Creator: p.opts.Creator, Comment: p.opts.Comment}
	now := p.opts.Now()
	for _, x := range p.records {
		e := x.entry
		e.Request.Headers = append([]har.Header(nil), e.Request.Headers...)
		e.WebSocketMessages = append([]har.WebSocketMessage(nil), e.WebSocketMessages...)
		if !x.done {
			if e.ResourceType == "websocket" && e.Response.Status == 101 {
				e.Time = ms(now.Sub(e.StartedDateTime))
			} else if e.Response.Status == 0 {
				e.Response.Comment = "pending when the HAR was written"
			}
		}
		l.Entries = append(l.Entries, e)
	}
	sort.SliceStable(l.Entries, func(i, j int) bool {
		return l.Entries[i].StartedDateTime.Before(l.Entries[j].StartedDateTime)
	})
	return l
}

// WriteFile writes [Proxy.HAR] to the file called name.
func (p *Proxy) WriteFile(name string) error { return har.WriteFile(name, p.HAR()) }

// Close ends the WebSocket relays still running, as if the target had gone
// away, and waits for them. Polling requests end with the http.Server that
// serves the proxy.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	relays := make([]*wsRelay, 0, len(p.conns))
	for r := range p.conns {
		relays = append(relays, r)
	}
	p.mu.Unlock()
	for _, r := range relays {
		r.abort()
	}
	p.wg.Wait()
	return nil
}

// ms converts a duration to HAR milliseconds.
func ms(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000
}

func isWebSocket(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		headerHasToken(r.Header, "Connection", "upgrade")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
