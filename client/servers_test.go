package client_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seen is one request a front server received.
type seen struct {
	Method    string
	Path      string
	Query     url.Values
	Header    http.Header
	Remote    string
	WebSocket bool
}

// front is an HTTP(S) server on 127.0.0.1 in front of a peer: a reverse
// proxy (WebSocket upgrades included) that records every request.
type front struct {
	*httptest.Server
	refuseWS atomic.Bool // answer WebSocket handshakes with 503
	target   atomic.Pointer[url.URL]

	mu   sync.Mutex
	reqs []seen
}

// startFront starts a plain front; tlsFront starts a TLS one whose server
// config the caller may adjust in configure before it starts.
func startFront(t *testing.T, target string) *front {
	f := newFront(t, target)
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func tlsFront(t *testing.T, target string, configure func(*tls.Config)) *front {
	f := newFront(t, target)
	f.TLS = &tls.Config{}
	if configure != nil {
		configure(f.TLS)
	}
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

func newFront(t *testing.T, target string) *front {
	u, err := url.Parse(target)
	require.NoError(t, err)
	f := &front{}
	f.target.Store(u)
	rp := &httputil.ReverseProxy{
		Rewrite:  func(pr *httputil.ProxyRequest) { pr.SetURL(f.target.Load()) },
		ErrorLog: log.New(io.Discard, "", 0),
	}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Header: r.Header.Clone(), Remote: r.RemoteAddr, WebSocket: ws})
		f.mu.Unlock()
		if ws && f.refuseWS.Load() {
			http.Error(w, "no websockets here", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	return f
}

// requests returns the requests recorded so far.
func (f *front) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// retarget makes the front forward to another server from now on.
func (f *front) retarget(t *testing.T, target string) {
	u, err := url.Parse(target)
	require.NoError(t, err)
	f.target.Store(u)
}

// reset forgets the requests recorded so far.
func (f *front) reset() {
	f.mu.Lock()
	f.reqs = nil
	f.mu.Unlock()
}

// fwdProxy is a forward HTTP proxy on 127.0.0.1: CONNECT tunnels (for
// https and wss) and absolute-form requests (for http and ws, WebSocket
// upgrades included). It records what it carried and the local addresses
// of its upstream connections.
type fwdProxy struct {
	URL *url.URL
	ln  net.Listener
	wg  sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
	connects []string // CONNECT targets
	forwards []string // "METHOD URL" of absolute-form requests
	upstream map[string]bool
}

func startProxy(t *testing.T) *fwdProxy {
	p, err := newProxy()
	require.NoError(t, err)
	t.Cleanup(p.close)
	return p
}

func newProxy() (*fwdProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &fwdProxy{ln: ln, URL: &url.URL{Scheme: "http", Host: ln.Addr().String()},
		conns: map[net.Conn]struct{}{}, upstream: map[string]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// close stops the proxy and waits for its goroutines.
func (p *fwdProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// track records c for the cleanup, or closes it when that already ran.
func (p *fwdProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *fwdProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer c.Close()
			p.handle(c)
		}()
	}
}

func (p *fwdProxy) dial(host string) (net.Conn, error) {
	up, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if !p.track(up) {
		return nil, net.ErrClosed
	}
	p.mu.Lock()
	p.upstream[up.LocalAddr().String()] = true
	p.mu.Unlock()
	return up, nil
}

func (p *fwdProxy) handle(c net.Conn) {
	br := bufio.NewReader(c)
	var up net.Conn
	var upr *bufio.Reader
	defer func() {
		if up != nil {
			up.Close()
		}
	}()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Method == http.MethodConnect {
			p.mu.Lock()
			p.connects = append(p.connects, req.Host)
			p.mu.Unlock()
			up, err = p.dial(req.Host)
			if err != nil {
				fmt.Fprint(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
				return
			}
			fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			pipe(c, br, up, bufio.NewReader(up))
			return
		}
		p.mu.Lock()
		p.forwards = append(p.forwards, req.Method+" "+req.URL.String())
		p.mu.Unlock()
		if up == nil {
			if up, err = p.dial(req.URL.Host); err != nil {
				fmt.Fprint(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
				return
			}
			upr = bufio.NewReader(up)
		}
		req.Header.Del("Proxy-Connection")
		if err := req.Write(up); err != nil {
			return
		}
		resp, err := http.ReadResponse(upr, req)
		if err != nil {
			return
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\n")
			_ = resp.Header.Write(c)
			fmt.Fprint(c, "\r\n")
			pipe(c, br, up, upr)
			return
		}
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil || resp.Close || req.Close {
			return
		}
	}
}

// pipe copies both ways until either side ends.
func pipe(a net.Conn, ar io.Reader, b net.Conn, br io.Reader) {
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, ar); done <- struct{}{} }()
	go func() { _, _ = io.Copy(a, br); done <- struct{}{} }()
	<-done
	a.Close()
	b.Close()
	<-done
}

func (p *fwdProxy) carried() (connects, forwards []string, upstream map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	up := make(map[string]bool, len(p.upstream))
	for k, v := range p.upstream {
		up[k] = v
	}
	return append([]string(nil), p.connects...), append([]string(nil), p.forwards...), up
}

// testCA is a certificate authority made up for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	Pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "eio test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, Pool: pool}
}

// issue returns a certificate signed by the CA: a server certificate for
// 127.0.0.1, or a client certificate.
func (ca *testCA) issue(t *testing.T, name string, client bool) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.IPAddresses = nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
