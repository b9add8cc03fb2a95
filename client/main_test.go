package client_test

import (
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"testing"

	"github.com/eio-go/eio/conformance/peer"
)

// The servers the Example functions talk to, started by TestMain.
var (
	// serverURL is an Engine.IO echo server (the Node peer).
	serverURL string
	// tlsServerURL serves the same over https and wss, with a certificate
	// that only serverCA trusts.
	tlsServerURL string
	serverCA     *x509.CertPool
	// proxyURL is a forward HTTP proxy (CONNECT included).
	proxyURL *url.URL
)

// TestMain starts the servers of the examples. Without the Node peer the
// examples are skipped (or the run fails when CI is "true"), like the
// interop tests.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := peer.Available(peer.Node6); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "the examples need the Node peer: %v; run `make peers`\n", err)
			os.Exit(1)
		}
		skip := "^Example"
		if s := flag.Lookup("test.skip").Value.String(); s != "" {
			skip = s + "|" + skip
		}
		_ = flag.Set("test.skip", skip)
		os.Exit(m.Run())
	}
	tb := &mainTB{}
	code := func() int {
		defer tb.cleanup()
		p := peer.Start(tb, peer.Node6, peer.Options{})
		serverURL = p.URL
		target, err := url.Parse(p.URL)
		if err != nil {
			tb.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(target)
		rp.ErrorLog = log.New(io.Discard, "", 0)
		front := httptest.NewTLSServer(rp)
		tb.Cleanup(front.Close)
		tlsServerURL = front.URL
		serverCA = x509.NewCertPool()
		serverCA.AddCert(front.Certificate())
		proxy, err := newProxy()
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(proxy.close)
		proxyURL = proxy.URL
		return m.Run()
	}()
	os.Exit(code)
}

// mainTB lets TestMain start a peer, which wants a testing.TB: it runs the
// cleanups at the end and turns a fatal error into an exit.
type mainTB struct {
	testing.TB
	cleanups []func()
}

func (tb *mainTB) Helper()                           {}
func (tb *mainTB) Name() string                      { return "TestMain" }
func (tb *mainTB) Cleanup(f func())                  { tb.cleanups = append(tb.cleanups, f) }
func (tb *mainTB) Failed() bool                      { return false }
func (tb *mainTB) Log(args ...any)                   { fmt.Fprintln(os.Stderr, args...) }
func (tb *mainTB) Logf(format string, args ...any)   { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (tb *mainTB) Skip(args ...any)                  { tb.Fatal(args...) }
func (tb *mainTB) Skipf(format string, args ...any)  { tb.Fatalf(format, args...) }
func (tb *mainTB) Error(args ...any)                 { tb.Fatal(args...) }
func (tb *mainTB) Errorf(format string, args ...any) { tb.Fatalf(format, args...) }
func (tb *mainTB) Fatal(args ...any)                 { tb.exit(fmt.Sprint(args...)) }
func (tb *mainTB) Fatalf(format string, args ...any) { tb.exit(fmt.Sprintf(format, args...)) }

func (tb *mainTB) exit(msg string) {
	fmt.Fprintln(os.Stderr, "TestMain:", msg)
	tb.cleanup()
	os.Exit(1)
}

func (tb *mainTB) cleanup() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	tb.cleanups = nil
}
