package replay_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/replay"
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
