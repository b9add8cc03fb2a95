package client_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/faultproxy"
)

// The fault tests put a faultproxy between the client and the Node peer
// and check what the client reports for each fault. The modes that
// matter per fault are polling and websocket; the upgrade mode adds
// nothing but the probe, which has a test of its own.

// faultModes are the transports a fault is tried on.
var faultModes = []string{"polling", "websocket"}

// viaFaults starts a fault proxy in HTTP mode in front of the server at
// target.
func viaFaults(t *testing.T, target string) *faultproxy.Proxy {
	return faultproxy.Start(t, target, faultproxy.HTTP)
}

// nodeURL returns the address of the Node peer with default options that
// TestMain started, shared by the tests that need no options of their
// own. Without the peer the test is skipped (TestMain has already failed
// the run when CI is "true").
func nodeURL(t *testing.T) string {
	if serverURL == "" {
		t.Skip("the Node peer is not installed; run `make peers`")
	}
	return serverURL
}

// sendNumbered sends "key:i" for i in [from, from+n).
func sendNumbered(t *testing.T, c *client.Client, key string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		require.NoError(t, c.SendText(key+":"+strconv.Itoa(i)))
	}
}

// sendUntilClosed sends "key:i" for i in [from, from+n) and stops at the
// first send refused with ErrClosed, when the session ended meanwhile;
// it returns how many were accepted.
func sendUntilClosed(t *testing.T, c *client.Client, key string, from, n int) int {
	t.Helper()
	for i := from; i < from+n; i++ {
		err := c.SendText(key + ":" + strconv.Itoa(i))
		if errors.Is(err, client.ErrClosed) {
			return i - from
		}
		require.NoError(t, err)
	}
	return n
}

// expectNumbered waits for the echoes of "key:i", i in [from, from+n), in
// that order and nothing in between.
func expectNumbered(t *testing.T, rec *recorder, key string, from, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for i := from; i < from+n; i++ {
		m := rec.next(t, time.Until(deadline))
		require.Equal(t, key+":"+strconv.Itoa(i), m.Text(), "echo %d of %d", i-from+1, n)
	}
}

// requireUniqueInOrder checks every message received: for each key, the
// numbers only grow, so nothing arrived twice or out of order.
func requireUniqueInOrder(t *testing.T, rec *recorder) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	last := map[string]int{}
	for _, m := range rec.messages {
		key, num, ok := strings.Cut(m.Text(), ":")
		require.True(t, ok, "unexpected message %q", m.Text())
		n, err := strconv.Atoi(num)
		require.NoError(t, err, m.Text())
		if prev, seen := last[key]; seen {
			require.Greater(t, n, prev, "%q after %s:%d: duplicated or reordered", m.Text(), key, prev)
		}
		last[key] = n
	}
}

// endClean disconnects c, which must still be connected, and checks that
// nothing of the session is left.
func endClean(t *testing.T, c *client.Client, rec *recorder) {
	t.Helper()
	require.NoError(t, c.Disconnect(testCtx(t, 5*time.Second)))
	require.NoError(t, c.Wait(testCtx(t, 5*time.Second)))
	require.Equal(t, client.ReasonClientDisconnect, rec.disconnected(t, time.Second))
	requireNoGoroutines(t)
	requireNoHTTPConns(t)
}

// TestFaultShaping runs sessions through added latency and through a
// bandwidth limit in both directions: they connect, carry numbered
// messages both ways in order, none lost or doubled, and end cleanly.
func TestFaultShaping(t *testing.T) {
	p := nodeURL(t)
	for _, tc := range []struct {
		name  string
		shape faultproxy.Shape
		n     int
		size  int // bytes of padding per message
	}{
		// 60 ms each way: a polling round trip takes 120 ms or more.
		{"latency", faultproxy.Shape{Latency: 60 * time.Millisecond}, 40, 0},
		// 24 KB/s each way; 20 messages of about 600 bytes take about
		// half a second each way.
		{"bandwidth", faultproxy.Shape{Bandwidth: 24000}, 20, 600},
	} {
		for _, mode := range faultModes {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				fp := viaFaults(t, p)
				fp.Set(faultproxy.Faults{Up: tc.shape, Down: tc.shape})
				c := client.New(nil)
				rec := record(c)
				start := time.Now()
				connectMode(t, c, rec, fp.URL(), mode, nil)
				if tc.shape.Latency > 0 {
					require.GreaterOrEqual(t, time.Since(start), 2*tc.shape.Latency, "the handshake went through the delay")
				}
				key := "m" + strings.Repeat("x", tc.size)
				sendNumbered(t, c, key, 0, tc.n)
				expectNumbered(t, rec, key, 0, tc.n, 15*time.Second)
				require.Equal(t, mode, c.Transport())
				requireUniqueInOrder(t, rec)
				endClean(t, c, rec)
				require.NotEmpty(t, fp.Requests(), fmt.Sprintf("the %s session went through the proxy", mode))
			})
		}
	}
}
