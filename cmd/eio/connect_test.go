package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/peer"
)

// events parses the JSON lines of -json output.
func events(t *testing.T, out string) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		require.Contains(t, ev, "event")
		ts, ok := ev["time"].(string)
		require.True(t, ok, line)
		_, err := time.Parse(time.RFC3339Nano, ts)
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	return evs
}

func find(evs []map[string]any, name string) []map[string]any {
	var out []map[string]any
	for _, ev := range evs {
		if ev["event"] == name {
			out = append(out, ev)
		}
	}
	return out
}

// TestConnectJSON runs the acceptance commands of the CLI contract against
// Node's engine.io: upgrade, polling only and websocket only.
func TestConnectJSON(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	for _, tc := range []struct {
		transports, connectOn, upgradeTo string
	}{
		{"polling,websocket", "polling", "websocket"},
		{"polling", "polling", ""},
		{"websocket", "websocket", ""},
	} {
		t.Run(tc.transports, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"connect", "-json", "-transports", tc.transports, "-send", "hello",
				"-expect", "1", "-linger", "300ms", "-timeout", "20s", p.URL}, &stdout, &stderr)
			require.Equal(t, 0, code, "stderr: %s\nstdout: %s", stderr.String(), stdout.String())
			evs := events(t, stdout.String())

			conn := find(evs, "connect")
			require.Len(t, conn, 1)
			require.Equal(t, tc.connectOn, conn[0]["transport"])
			require.NotEmpty(t, conn[0]["sid"])

			msgs := find(evs, "message")
			require.Len(t, msgs, 1)
			require.Equal(t, "hello", msgs[0]["data"])
			require.Equal(t, false, msgs[0]["binary"])

			ups := find(evs, "upgrade")
			if tc.upgradeTo == "" {
				require.Empty(t, ups)
			} else {
				require.Len(t, ups, 1)
				require.Equal(t, tc.upgradeTo, ups[0]["transport"])
			}
			disc := find(evs, "disconnect")
			require.Len(t, disc, 1)
			require.Equal(t, "client disconnect", disc[0]["reason"])

			// Every state change is reported, and they chain.
			states := find(evs, "state")
			require.GreaterOrEqual(t, len(states), 3)
			require.Equal(t, "disconnected", states[0]["from"])
			for i := 1; i < len(states); i++ {
				require.Equal(t, states[i-1]["to"], states[i]["from"])
			}
			require.Equal(t, "disconnected", states[len(states)-1]["to"])
		})
	}
}

func TestConnectBinaryAndServerClose(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	var stdout, stderr bytes.Buffer
	code := run([]string{"connect", "-json", "-send-binary", "AQID", "-send", "cmd:close", "-timeout", "20s", p.URL}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	evs := events(t, stdout.String())
	// -send messages go before -send-binary ones: the close may come first.
	disc := find(evs, "disconnect")
	require.Len(t, disc, 1)
	require.Equal(t, "server disconnect", disc[0]["reason"])
}

func TestConnectBinaryEcho(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	var stdout, stderr bytes.Buffer
	code := run([]string{"connect", "-json", "-send-binary", "AQID", "-expect", "1", "-timeout", "20s", p.URL}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	msgs := find(events(t, stdout.String()), "message")
	require.Len(t, msgs, 1)
	require.Equal(t, true, msgs[0]["binary"])
	require.Equal(t, "AQID", msgs[0]["data"])
}

func TestConnectFailures(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, run([]string{"connect"}, &stdout, &stderr))
	require.Equal(t, 2, run([]string{"connect", "-eio", "5", "http://127.0.0.1:1"}, &stdout, &stderr))
	require.Equal(t, 2, run([]string{"connect", "-H", "bad header", "http://127.0.0.1:1"}, &stdout, &stderr))
	require.Equal(t, 2, run([]string{"connect", "-send-binary", "%%%", "http://127.0.0.1:1"}, &stdout, &stderr))
	require.Equal(t, 2, run([]string{"bogus"}, &stdout, &stderr))
	stdout.Reset()
	// Port 1 on 127.0.0.1 refuses connections.
	require.Equal(t, 1, run([]string{"connect", "-json", "-timeout", "5s", "http://127.0.0.1:1"}, &stdout, &stderr))
	require.NotEmpty(t, find(events(t, stdout.String()), "error"))
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"version"}, &stdout, &stderr))
	require.True(t, strings.HasPrefix(stdout.String(), "eio "))
}
