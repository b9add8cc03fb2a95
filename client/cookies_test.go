package client_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
)

// TestCookieJarBounded runs a polling session against a server that sets
// a cookie of a new name on every poll answer, re-sets the first one with
// a new value each time, and sets one cookie larger than 4 KiB on the
// handshake. The default client keeps the first 64 names, follows the
// first one's new values, drops the rest, and warns once without values.
func TestCookieJarBounded(t *testing.T) {
	const polls = 100
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var n atomic.Int64
	var mu sync.Mutex
	var last string // the Cookie header of the latest poll
	f := startPolling(t,
		func(w http.ResponseWriter, r *http.Request) {
			http.SetCookie(w, &http.Cookie{Name: "huge", Value: strings.Repeat("h", 5000)})
			openWith(hostileOpen)(w, r)
		},
		func(w http.ResponseWriter, r *http.Request) {
			i := n.Add(1)
			mu.Lock()
			last = r.Header.Get("Cookie")
			mu.Unlock()
			http.SetCookie(w, &http.Cookie{Name: "c0", Value: fmt.Sprintf("VAL-%d", i)})
			http.SetCookie(w, &http.Cookie{Name: fmt.Sprintf("c%d", i), Value: fmt.Sprintf("VAL-%d", i)})
			if i > polls {
				// Enough: hold the poll until the client goes.
				<-r.Context().Done()
				return
			}
			_, _ = w.Write([]byte("6"))
		})

	c := client.New(&client.Options{Logger: logger})
	require.NoError(t, c.Connect(testCtx(t, 5*time.Second), f.URL, &client.ConnectOptions{Transports: []string{"polling"}}))
	require.Eventually(t, func() bool { return n.Load() > polls }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))

	mu.Lock()
	sent := strings.Split(last, "; ")
	mu.Unlock()
	names := map[string]string{}
	for _, kv := range sent {
		name, value, _ := strings.Cut(kv, "=")
		names[name] = value
	}
	require.Len(t, names, 64, "the jar keeps 64 cookies: %s", last)
	require.Equal(t, fmt.Sprintf("VAL-%d", polls), names["c0"], "a kept cookie still takes new values")
	require.Contains(t, names, "c63")
	require.NotContains(t, names, "c64")
	require.NotContains(t, names, "huge")

	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "cookies dropped"), out)
	require.Contains(t, out, "huge", "the warning names the first cookies dropped")
	require.NotContains(t, out, "VAL-")
	require.NotContains(t, out, "hhhh")
	requireNoGoroutines(t)
}
