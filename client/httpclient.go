package client

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
)

// httpClient builds the *http.Client both transports use from the options:
// the one given (shallow-copied, never changed) or one of our own with a
// cookie jar, with TLSConfig and InsecureSkipVerify applied to a clone of
// its transport.
func httpClient(o *Options, log *slog.Logger) *http.Client {
	var hc http.Client
	if o.HTTPClient != nil {
		hc = *o.HTTPClient
		if hc.Timeout > 0 {
			warn(log, "eio: Options.HTTPClient has a Timeout; it cuts long-poll requests, use Options.RequestTimeout instead",
				"timeout", hc.Timeout)
		}
	} else {
		jar, _ := cookiejar.New(nil)
		hc.Jar = jar
	}
	needTLS := o.TLSConfig != nil || o.InsecureSkipVerify
	if o.InsecureSkipVerify {
		warn(log, "eio: TLS certificate verification is off (Options.InsecureSkipVerify); use it for tests only")
	}
	switch tr := hc.Transport.(type) {
	case nil:
		t := http.DefaultTransport.(*http.Transport).Clone()
		if needTLS {
			t.TLSClientConfig = tlsConfig(o, t.TLSClientConfig)
		}
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
	return &hc
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
