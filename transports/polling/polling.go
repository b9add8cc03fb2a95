package polling

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/transports"
)

// Name is the transport's name on the wire.
const Name = "polling"

// HandshakeReadLimit bounds the body of the handshake GET, the response
// that carries the open packet (and, from some servers, a few packets
// after it). Before that response the session's maxPayload is unknown,
// and an open packet is a few hundred bytes: a larger body is refused
// with an error matching codec.ErrTooLarge rather than read on.
const HandshakeReadLimit = 1 << 20

// DefaultReadLimit bounds a poll response body once the session is open.
// It does not depend on the session's maxPayload: that figure bounds what
// the server accepts, not what it sends — engine.io answers a long-poll
// with everything it has queued, and a single message may be larger.
const DefaultReadLimit = 16 << 20

// Registration registers this transport with a [transports.Registry].
var Registration = transports.Registration{Name: Name, Polled: true, Open: Open}

// Transport is a long-polling transport. It is safe for one Read and one
// Write to run at once.
type Transport struct {
	cfg    transports.Config
	client *http.Client

	mu   sync.Mutex
	sid  string
	wait time.Duration // bound of a long-poll GET once the session is known

	closeCtx context.Context
	closeFn  context.CancelFunc

	// The packets of the last poll's payload that Read has not returned
	// yet (see PartPackets): its body from off on. Only Read and More use
	// them, and one Read runs at a time.
	rest       []byte
	restOff    int
	restBinary bool
}

// PartPackets bounds the packets one Read returns. A poll's payload with
// more is returned over several Reads, the first one making the request
// and the next ones none, with More reporting true in between, so that a
// payload of many small packets is never held as a packet for each of its
// records at once: 16 MiB of two-byte records would be 8 million packets.
// A malformed payload is refused whole, before any part of it is returned.
const PartPackets = 256

// More reports whether the payload of the last poll has packets the next
// Read returns, without a request. It implements [transports.PartReader].
func (t *Transport) More() bool { return t.rest != nil }

var _ transports.PartReader = (*Transport)(nil)

// Open returns a polling transport for cfg. It makes no request: the
// first Read of a transport without a sid is the handshake.
func Open(ctx context.Context, cfg transports.Config) (transports.Transport, error) {
	if cfg.URL == nil {
		return nil, errors.New("polling: no URL")
	}
	c := cfg.HTTPClient
	if c == nil {
		c = http.DefaultClient
	}
	t := &Transport{cfg: cfg, client: c, sid: cfg.SID}
	t.closeCtx, t.closeFn = context.WithCancel(context.Background())
	return t, nil
}

// Name returns "polling".
func (t *Transport) Name() string { return Name }

// SetSession makes later requests carry the session id and bounds later
// long-poll GETs by the session's heartbeat (see
// [transports.Config.RequestTimeout]).
func (t *Transport) SetSession(hs codec.Handshake) {
	t.mu.Lock()
	t.sid = hs.SID
	if t.cfg.RequestTimeout > 0 {
		t.wait = hs.PingInterval + hs.PingTimeout + t.cfg.RequestTimeout
	}
	t.mu.Unlock()
}

func (t *Transport) url() string {
	t.mu.Lock()
	cfg := t.cfg
	cfg.SID = t.sid
	t.mu.Unlock()
	u := cfg.Endpoint(false)
	q := cfg.Query(Name)
	cfg.Stamp(q)
	u.RawQuery = q.Encode()
	return u.String()
}

// timeout returns the bound of the next request of method: the request
// timeout, except for a long-poll GET of a known session.
func (t *Transport) timeout(method string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if method == http.MethodGet && t.sid != "" {
		return t.wait // zero until SetSession: no bound of our own
	}
	return t.cfg.RequestTimeout
}

// request runs one HTTP request; its context ends with ctx, Close or the
// request's timeout.
func (t *Transport) request(ctx context.Context, method string, body []byte) (*http.Response, context.CancelFunc, error) {
	var cancel context.CancelFunc
	if d := t.timeout(method); d > 0 {
		ctx, cancel = context.WithTimeout(ctx, d)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	stop := context.AfterFunc(t.closeCtx, cancel)
	done := func() { stop(); cancel() }
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.url(), rd)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("polling %s: %w", method, err)
	}
	for k, v := range t.cfg.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		done()
		if t.closeCtx.Err() != nil {
			return nil, nil, fmt.Errorf("polling %s: %w", method, net.ErrClosed)
		}
		return nil, nil, fmt.Errorf("polling %s: %w", method, err)
	}
	return resp, done, nil
}

// Read makes one long-poll request and decodes its payload, or returns the
// next part of the last one without a request (see PartPackets).
func (t *Transport) Read(ctx context.Context) ([]codec.Packet, error) {
	if t.rest != nil {
		return t.nextPart(ctx)
	}
	resp, done, err := t.request(ctx, http.MethodGet, nil)
	if err != nil {
		return nil, err
	}
	defer done()
	defer resp.Body.Close()
	limit := t.readLimit()
	body, err := decoded(resp)
	if err != nil {
		return nil, fmt.Errorf("polling GET: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(body, 4096))
		return nil, fmt.Errorf("polling %w", transports.NewHTTPError("GET", resp.StatusCode, msg))
	}
	binary := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/octet-stream")
	// ReadBody never reads past limit+1 bytes of the body.
	data, err := codec.ReadBody(body, limit)
	if err != nil {
		return nil, fmt.Errorf("polling GET: %w", err)
	}
	pkts, next, err := codec.DecodePayloadPart(nil, t.cfg.Revision, data, binary, 0, PartPackets)
	if err == nil && next < len(data) {
		err = checkPayload(t.cfg.Revision, data, binary, next)
	}
	if err != nil {
		return nil, fmt.Errorf("polling GET: %w", err)
	}
	if next < len(data) {
		t.rest, t.restOff, t.restBinary = data, next, binary
	}
	return pkts, nil
}

// nextPart returns the next part of the last poll's payload.
func (t *Transport) nextPart(ctx context.Context) ([]codec.Packet, error) {
	if err := ctx.Err(); err != nil {
		t.rest = nil
		return nil, fmt.Errorf("polling GET: %w", err)
	}
	pkts, next, err := codec.DecodePayloadPart(nil, t.cfg.Revision, t.rest, t.restBinary, t.restOff, PartPackets)
	if err != nil {
		// checkPayload decoded it all before.
		t.rest = nil
		return nil, fmt.Errorf("polling GET: %w", err)
	}
	if next == len(t.rest) {
		t.rest = nil
	} else {
		t.restOff = next
	}
	return pkts, nil
}

// checkPayload decodes the payload in body from off on, a part at a time
// into one buffer, and returns its first error.
func checkPayload(rev codec.Revision, body []byte, binary bool, off int) error {
	scratch := make([]codec.Packet, 0, PartPackets)
	for off < len(body) {
		var err error
		if scratch, off, err = codec.DecodePayloadPart(scratch[:0], rev, body, binary, off, PartPackets); err != nil {
			return err
		}
	}
	return nil
}

// readLimit returns the bound of the next poll response body.
func (t *Transport) readLimit() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sid == "" {
		return HandshakeReadLimit
	}
	return DefaultReadLimit
}

// Write sends packets as one POST.
func (t *Transport) Write(ctx context.Context, pkts []codec.Packet) error {
	body := codec.AppendPayload(make([]byte, 0, 64), t.cfg.Revision, pkts)
	resp, done, err := t.request(ctx, http.MethodPost, body)
	if err != nil {
		return err
	}
	defer done()
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("polling %w", transports.NewHTTPError("POST", resp.StatusCode, msg))
	}
	return nil
}

// Close cancels the requests in flight. It makes no request itself: the
// close packet, when one is due, is written by the caller first.
func (t *Transport) Close(context.Context) error {
	t.closeFn()
	return nil
}

// decoded returns the body of resp without its content coding. net/http
// undoes gzip itself unless the request set Accept-Encoding (a user header
// may); servers compress poll answers of 1 KiB or more.
func decoded(resp *http.Response) (io.Reader, error) {
	if resp.Uncompressed {
		return resp.Body, nil
	}
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "", "identity":
		return resp.Body, nil
	case "gzip", "x-gzip":
		return gzip.NewReader(resp.Body)
	case "deflate":
		return zlib.NewReader(resp.Body)
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
}
