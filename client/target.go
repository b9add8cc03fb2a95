package client

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/fsm"
	"github.com/eio-go/eio/transports"
	"github.com/eio-go/eio/transports/polling"
	"github.com/eio-go/eio/transports/websocket"
)

// target is what a connection connects to, checked once by Connect.
type target struct {
	base  *url.URL
	key   string // the endpoint, for remembered upgrades
	cfg   transports.Config
	names []string
	regs  regSet
	in    fsm.Connect // without Transports
}

func (c *Client) newTarget(rawURL string, opts *ConnectOptions) (*target, error) {
	base, err := buildURL(rawURL, opts)
	if err != nil {
		return nil, err
	}
	names, regs, err := c.transportList(opts.Transports)
	if err != nil {
		return nil, err
	}
	rev := opts.Revision
	if rev == 0 {
		rev = codec.V4
	}
	if !rev.Valid() {
		return nil, fmt.Errorf("%w: protocol revision %d (want 3 or 4)", ErrConnect, int(rev))
	}
	header := http.Header{}
	for _, h := range []http.Header{c.opts.Header, opts.Header} {
		for k, v := range h {
			header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		}
	}
	scheme := base.Scheme
	switch scheme {
	case "ws":
		scheme = "http"
	case "wss":
		scheme = "https"
	}
	return &target{
		base:  base,
		key:   scheme + "://" + base.Host + base.Path,
		names: names,
		regs:  regs,
		cfg: transports.Config{
			URL:              base,
			Revision:         rev,
			Header:           header,
			HTTPClient:       c.http,
			StreamHTTPClient: c.streamHTTP,
			TimestampParam:   c.opts.TimestampParam,
			RequestTimeout:   c.opts.RequestTimeout,
		},
		in: fsm.Connect{
			Revision:             rev,
			NoUpgrade:            opts.NoUpgrade,
			ProbeTimeout:         c.opts.ProbeTimeout,
			CloseTimeout:         c.opts.CloseTimeout,
			MaxPacketsPerPayload: c.opts.MaxPacketsPerPayload,
		},
	}, nil
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
	if !strings.HasSuffix(p, "/") {
		// Both reference clients end the path with a slash; engine.io and
		// python-engineio answer 404 without it.
		p += "/"
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

func (c *Client) transportList(names []string) ([]string, regSet, error) {
	if names == nil {
		names = []string{polling.Name, websocket.Name}
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%w: empty", ErrInvalidTransports)
	}
	regs := make(regSet, 0, len(names))
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, nil, fmt.Errorf("%w: %q listed twice", ErrInvalidTransports, n)
		}
		reg, err := c.lookup(n)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidTransports, err)
		}
		reg.Name = n
		regs = append(regs, reg)
	}
	return slices.Clone(names), regs, nil
}

// regSet holds the registrations of a target's transports; a lookup by
// name walks its few entries.
type regSet []transports.Registration

// get returns the registration named name, or the zero value.
func (r regSet) get(name string) transports.Registration {
	for _, reg := range r {
		if reg.Name == name {
			return reg
		}
	}
	return transports.Registration{}
}

func (c *Client) lookup(name string) (transports.Registration, error) {
	if name == websocket.Name && c.wsReg != nil {
		return *c.wsReg, nil
	}
	return c.registry.Lookup(name)
}

// remember records that a session to key reached transport directly or by
// an upgrade; forget clears it.
func (c *Client) remember(key, transport string) {
	if !c.opts.RememberUpgrade {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.remembered == nil {
		c.remembered = make(map[string]string)
	}
	c.remembered[key] = transport
}

func (c *Client) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.remembered, key)
}

func (c *Client) recall(key string) string {
	if !c.opts.RememberUpgrade {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remembered[key]
}
