package replay_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/replay"
)

// TestCorpusMachine replays every trace of the corpus through the machine
// alone.
func TestCorpusMachine(t *testing.T) {
	files, err := filepath.Glob("../testdata/traces/*.har")
	require.NoError(t, err)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".har"), func(t *testing.T) {
			cases, err := replay.LoadFile(f)
			require.NoError(t, err)
			for _, c := range cases {
				rep := c.RunMachine()
				if !rep.OK() || testing.Verbose() {
					var b strings.Builder
					_ = rep.WriteText(&b)
					t.Log("\n" + b.String())
				}
				require.True(t, rep.OK(), "divergence: %s", rep.Divergence)
				require.NotEmpty(t, rep.Steps)
			}
		})
	}
}
