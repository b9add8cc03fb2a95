package client_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/peer"
)

// TestNodeProxy runs every mode through a forward proxy on 127.0.0.1 set
// as the Proxy of an injected http.Client's transport: https and wss go
// through CONNECT tunnels, http and ws as absolute-form requests (the
// WebSocket upgrade included). Every request the server got came from
// one of the proxy's upstream connections.
func TestNodeProxy(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	plain := startFront(t, p.URL)
	secure := tlsFront(t, p.URL, nil)
	roots := x509.NewCertPool()
	roots.AddCert(secure.Certificate())

	for _, tc := range []struct {
		name   string
		front  *front
		tunnel bool
		opts   func(proxy *url.URL) *client.Options
	}{
		{"http", plain, false, func(proxy *url.URL) *client.Options {
			return &client.Options{HTTPClient: &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}}}
		}},
		{"https", secure, true, func(proxy *url.URL) *client.Options {
			return &client.Options{HTTPClient: &http.Client{Transport: &http.Transport{
				Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: roots}}}}
		}},
		{"https with Options.TLSConfig", secure, true, func(proxy *url.URL) *client.Options {
			return &client.Options{
				HTTPClient: &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy)}},
				TLSConfig:  &tls.Config{RootCAs: roots},
			}
		}},
	} {
		for _, mode := range modes {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				proxy := startProxy(t)
				tc.front.reset()
				c := client.New(tc.opts(proxy.URL))
				rec := record(c)
				connectMode(t, c, rec, tc.front.URL, mode.name, nil)
				require.NoError(t, c.Send("proxied"))
				require.Equal(t, "proxied", rec.next(t, 5*time.Second).Text())
				require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))

				connects, forwards, upstream := proxy.carried()
				reqs := tc.front.requests()
				require.NotEmpty(t, reqs)
				for _, r := range reqs {
					require.True(t, upstream[r.Remote], "request %s %v (websocket=%v) bypassed the proxy", r.Method, r.Query, r.WebSocket)
				}
				host := strings.TrimPrefix(strings.TrimPrefix(tc.front.URL, "https://"), "http://")
				if tc.tunnel {
					require.Empty(t, forwards)
					require.NotEmpty(t, connects)
					for _, target := range connects {
						require.Equal(t, host, target)
					}
					return
				}
				require.Empty(t, connects)
				var ws bool
				for _, fw := range forwards {
					require.Contains(t, fw, "http://"+host+"/engine.io/")
					ws = ws || strings.Contains(fw, "transport=websocket")
				}
				require.Equal(t, mode.name != "polling", ws, "the WebSocket handshake went through the proxy")
			})
		}
	}
	requireNoGoroutines(t)
}
