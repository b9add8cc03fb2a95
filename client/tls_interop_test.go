package client_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNodeTLS runs sessions over https and wss through a TLS front on
// 127.0.0.1 whose certificate no system root signs: verification is on by
// default; a root pool in Options.TLSConfig or in an injected client's
// transport makes it pass; InsecureSkipVerify turns it off with a warning.
func TestNodeTLS(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	f := tlsFront(t, p.URL, nil)
	roots := x509.NewCertPool()
	roots.AddCert(f.Certificate())

	t.Run("verified by default", func(t *testing.T) {
		for _, tr := range []string{"polling", "websocket"} {
			c := client.New(nil)
			err := c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{Transports: []string{tr}})
			require.ErrorIs(t, err, client.ErrConnect)
			var ve *tls.CertificateVerificationError
			require.ErrorAs(t, err, &ve, "%s: %v", tr, err)
			var ua x509.UnknownAuthorityError
			require.ErrorAs(t, err, &ua)
		}
		requireNoGoroutines(t)
	})

	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	for _, tc := range []struct {
		name string
		opts *client.Options
	}{
		{"Options.TLSConfig", &client.Options{TLSConfig: &tls.Config{RootCAs: roots}}},
		{"injected http.Client", &client.Options{HTTPClient: trusting}},
		{"InsecureSkipVerify", &client.Options{InsecureSkipVerify: true, Logger: logger}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range modes {
				f.reset()
				c := client.New(tc.opts)
				rec := record(c)
				connectMode(t, c, rec, f.URL, mode.name, nil)
				require.NoError(t, c.Send("secret"))
				require.Equal(t, "secret", rec.next(t, 5*time.Second).Text())
				require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
				var wss bool
				for _, r := range f.requests() {
					wss = wss || r.WebSocket
				}
				require.Equal(t, mode.name != "polling", wss, "a wss handshake went through the TLS front")
			}
		})
	}
	require.Contains(t, logs.String(), "level=WARN")
	require.Contains(t, logs.String(), "InsecureSkipVerify")
	requireNoGoroutines(t)
}

// TestNodeTLSClientCertificate fronts the peer with a server that demands
// a client certificate from a CA made up for the test, and serves its own
// certificate from that CA.
func TestNodeTLSClientCertificate(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	ca := newCA(t)
	serverCert := ca.issue(t, "127.0.0.1", false)
	f := tlsFront(t, p.URL, func(cfg *tls.Config) {
		cfg.Certificates = []tls.Certificate{serverCert}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = ca.Pool
	})

	// Without a certificate the server ends the TLS handshake.
	c := client.New(&client.Options{TLSConfig: &tls.Config{RootCAs: ca.Pool}})
	err := c.Connect(testCtx(t, 10*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}})
	require.ErrorIs(t, err, client.ErrConnect)
	var ve *tls.CertificateVerificationError
	require.False(t, errors.As(err, &ve), "the client verified the server: %v", err)

	clientCert := ca.issue(t, "eio client", true)
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := client.New(&client.Options{TLSConfig: &tls.Config{RootCAs: ca.Pool, Certificates: []tls.Certificate{clientCert}}})
			rec := record(c)
			connectMode(t, c, rec, f.URL, mode.name, nil)
			require.NoError(t, c.Send([]byte{1, 2, 3}))
			require.Equal(t, client.Message{Data: []byte{1, 2, 3}, Binary: true}, rec.next(t, 5*time.Second))
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		})
	}
	requireNoGoroutines(t)
}

// TestNodeURLSchemes connects with ws:// and wss:// URLs as well as
// http:// and https:// ones; polling uses the matching HTTP scheme.
func TestNodeURLSchemes(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	f := tlsFront(t, p.URL, nil)
	roots := x509.NewCertPool()
	roots.AddCert(f.Certificate())
	for _, raw := range []string{
		p.URL,
		strings.Replace(p.URL, "http://", "ws://", 1),
		f.URL,
		strings.Replace(f.URL, "https://", "wss://", 1),
	} {
		for _, mode := range modes {
			c := client.New(&client.Options{TLSConfig: &tls.Config{RootCAs: roots}})
			rec := record(c)
			connectMode(t, c, rec, raw, mode.name, nil)
			require.NoError(t, c.Send(raw))
			require.Equal(t, raw, rec.next(t, 5*time.Second).Text())
			require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
		}
	}
	requireNoGoroutines(t)
}
