package interop

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRender(t *testing.T) {
	r := Report{
		Peers:     []PeerInfo{{Kind: "node6", Version: "engine.io 6.6.13", Revisions: []int{4, 3}}},
		Scenarios: []Scenario{{"connect", "handshake"}, {"burst-1000", "burst"}},
		Cells: []Cell{
			{Peer: "node6", Revision: 4, Scenario: "connect", Mode: "polling", Outcome: Pass},
			{Peer: "node6", Revision: 4, Scenario: "connect", Mode: "websocket", Outcome: ServerDeviation, Deviation: "D7"},
			{Peer: "node6", Revision: 4, Scenario: "burst-1000", Mode: "upgrade", Outcome: KnownFailure, Bug: "a bug",
				Failure: "\n\tError Trace:\t/x/y.go:1\n\t            \t/x/z.go:2\n\tError:      \tNot equal\n\tTest:\tT\n", Note: "saw | this"},
			{Peer: "node6", Revision: 3, Scenario: "connect", Mode: "polling", Outcome: Impossible, Note: "why"},
		},
		Deviations: []Deviation{{ID: "D7", Peer: "node6", Summary: "drops TCP", Test: "TestDeviations/D7", Outcome: ServerDeviation}},
		Seconds:    12.3,
		CPUs:       2,
	}
	md := string(Render(r))
	for _, want := range []string{
		"DO NOT EDIT",
		"| node6 | engine.io 6.6.13 | v4, v3 |",
		"| node6 · v4 | 1 | 0 | 1 | 1 | 0 | 0 |",
		"| connect | pass | deviation D7 | not run |",
		"| burst-1000 | not run | not run | known bug 1 |",
		"1. a bug\n   - Fails: `node6/v4/burst-1000/upgrade`\n   - Evidence: `node6/v4/burst-1000/upgrade`: Error: Not equal\n",
		"it decides the matrix cells `node6/v4/connect/websocket`",
		"| node6/v4/burst-1000/upgrade | known bug | saw \\| this |",
		"| node6/v3/connect/polling | impossible | why |",
	} {
		require.Contains(t, md, want)
	}
	require.Less(t, strings.Index(md, "### node6 · v4"), strings.Index(md, "### node6 · v3"), "v4 before v3")
}

// TestReportUpToDate checks that docs/interop.md is the rendering of the
// committed results (both written by -update).
func TestReportUpToDate(t *testing.T) {
	if *update {
		t.Skip("being rewritten by -update")
	}
	js, err := os.ReadFile(reportJSON)
	if os.IsNotExist(err) {
		t.Skip("no results yet: run make interop")
	}
	require.NoError(t, err)
	var r Report
	require.NoError(t, json.Unmarshal(js, &r))
	md, err := os.ReadFile(reportMarkdown)
	require.NoError(t, err)
	require.True(t, bytes.Equal(Render(r), md), "%s is not the rendering of %s: run make interop", reportMarkdown, reportJSON)
}
