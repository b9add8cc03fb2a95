package client

import (
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
)

// The bounds of the default HTTP client's cookie jar. net/http's jar
// keeps every cookie a server sets until it expires, so a server that
// sets new ones on every poll response would grow a long session's memory
// without end. Browsers keep at least 50 cookies per domain and 4,096
// bytes per cookie (RFC 6265, section 6.1); an Engine.IO session needs a
// load balancer's affinity cookie or two.
const (
	maxCookies    = 64   // distinct cookies (host, domain, path, name) a client keeps
	maxCookieSize = 4096 // bytes of a cookie's name and value
)

// boundedJar is the default client's cookie jar: net/http's, fed only
// the cookies within the bounds above. A cookie counts once it is stored,
// and keeps counting after it expires or is deleted, so a server that
// keeps inventing names hits the bound too. Cookies past the bounds are
// dropped, with one warning per client.
type boundedJar struct {
	jar *cookiejar.Jar
	log *slog.Logger

	mu     sync.Mutex
	seen   map[cookieKey]struct{}
	warned bool
}

type cookieKey struct{ host, domain, path, name string }

func newBoundedJar(log *slog.Logger) *boundedJar {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &boundedJar{jar: jar, log: log}
}

// SetCookies stores the cookies of a response from u that are within
// the bounds.
func (j *boundedJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	keep := make([]*http.Cookie, 0, len(cookies))
	var dropped []string // the first few names, for the warning
	j.mu.Lock()
	for _, c := range cookies {
		if len(c.Name)+len(c.Value) > maxCookieSize {
			dropped = appendName(dropped, c.Name)
			continue
		}
		k := cookieKey{strings.ToLower(u.Hostname()), strings.ToLower(c.Domain), c.Path, c.Name}
		if _, ok := j.seen[k]; !ok {
			if len(j.seen) >= maxCookies {
				dropped = appendName(dropped, c.Name)
				continue
			}
			if j.seen == nil {
				j.seen = make(map[cookieKey]struct{})
			}
			j.seen[k] = struct{}{}
		}
		keep = append(keep, c)
	}
	first := len(dropped) > 0 && !j.warned
	j.warned = j.warned || first
	j.mu.Unlock()
	if first {
		// Names only: cookie values are never logged.
		warn(j.log, "eio: cookies dropped: the default HTTP client's jar is full or they are too large",
			"host", u.Host, "names", dropped, "max_cookies", maxCookies, "max_bytes", maxCookieSize)
	}
	if len(keep) > 0 {
		j.jar.SetCookies(u, keep)
	}
}

// Cookies returns the cookies to send in a request to u.
func (j *boundedJar) Cookies(u *url.URL) []*http.Cookie { return j.jar.Cookies(u) }

// appendName adds a dropped cookie's name to those the warning lists, up
// to 8 names of up to 64 bytes.
func appendName(names []string, name string) []string {
	if len(names) >= 8 {
		return names
	}
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	return append(names, name)
}
