package replay_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/client"
	"github.com/eio-go/eio/conformance/replay"
	"github.com/eio-go/eio/transports"
)

// TestCorpus replays every trace of the corpus against the client.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("../testdata/traces/*.har")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".har"), func(t *testing.T) {
			t.Parallel()
			cases, err := replay.LoadFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, cases)
			for _, c := range cases {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				rep, err := c.Run(ctx, nil)
				cancel()
				require.NoError(t, err)
				if !rep.OK() || testing.Verbose() {
					var b strings.Builder
					_ = rep.WriteText(&b)
					t.Log("\n" + b.String())
				}
				require.True(t, rep.OK(), "divergence: %s", rep.Divergence)
			}
		})
	}
}

// TestTwoSessions replays a browser-style HAR holding two sessions, the
// second ending with an HTTP 400 on a poll.
func TestTwoSessions(t *testing.T) {
	cases, err := replay.LoadFile("../trace/testdata/two_sessions.har")
	require.NoError(t, err)
	require.Len(t, cases, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range cases {
		rep, err := c.Run(ctx, &replay.Options{Speed: math.Inf(1)})
		require.NoError(t, err)
		require.True(t, rep.OK(), "%s: %s", c.Name, rep.Divergence)
	}
	rep, err := cases[1].Run(ctx, &replay.Options{Speed: math.Inf(1)})
	require.NoError(t, err)
	require.Equal(t, client.ReasonTransportError, rep.Reason)
	var he *transports.HTTPError
	require.ErrorAs(t, rep.Err, &he)
	require.Equal(t, 400, he.Status)
}

func TestMermaid(t *testing.T) {
	cases, err := replay.LoadFile("../testdata/traces/v4-binary-polling.har")
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, replay.Mermaid(&b, cases[0].Session))
	out := b.String()
	require.True(t, strings.HasPrefix(out, "sequenceDiagram\n    participant C as client\n    participant S as server\n"))
	require.Contains(t, out, "polling POST [message #lt;4 bytes#gt;]", "angle brackets are escaped")
	require.NotContains(t, out, ";\n", "no raw semicolons end a line")
	require.Contains(t, out, "Note over C,S: end: client_close")
}
