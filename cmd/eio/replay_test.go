package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/har"
)

const traceDir = "../../conformance/testdata"

func execCLI(args ...string) (int, string, string) {
	var out, errw strings.Builder
	code := run(args, &out, &errw)
	return code, out.String(), errw.String()
}

func TestReplayConforms(t *testing.T) {
	code, out, errs := execCLI("replay", "-speed", "4", traceDir+"/traces/v4-upgrade.har")
	require.Equal(t, exitOK, code, out+errs)
	require.Contains(t, out, "PASS v4-upgrade.har#1")
	require.Contains(t, out, "upgraded to websocket")
}

func TestReplayDivergence(t *testing.T) {
	code, out, errs := execCLI("replay", "-speed", "4", traceDir+"/negative/unknown-packet.har")
	require.Equal(t, exitFail, code, out+errs)
	require.Contains(t, out, "FAIL unknown-packet.har#1")
	require.Contains(t, out, `polling c->s packet #1: expected message "second", got nothing (client state disconnected)`)
}

func TestReplayJSON(t *testing.T) {
	code, out, errs := execCLI("replay", "-json", "-speed", "0", traceDir+"/traces/v4-polling.har")
	require.Equal(t, exitOK, code, out+errs)
	var rep struct {
		Case   string `json:"case"`
		OK     bool   `json:"ok"`
		Reason string `json:"reason"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out)), &rep))
	require.True(t, rep.OK)
	require.Equal(t, "client disconnect", rep.Reason)
}

func TestReplayMachine(t *testing.T) {
	code, out, errs := execCLI("replay", "-machine", traceDir+"/traces/v4-websocket.har")
	require.Equal(t, exitOK, code, out+errs)
	require.Contains(t, out, "Connect EIO=4 transports=websocket")
	require.Contains(t, out, "PASS machine")
}

func TestReplayMermaid(t *testing.T) {
	code, out, _ := execCLI("replay", "-mermaid", traceDir+"/traces/v4-upgrade.har")
	require.Equal(t, exitOK, code)
	require.True(t, strings.HasPrefix(out, "sequenceDiagram\n"), out)
	require.Contains(t, out, `C->>S:`)
	require.Contains(t, out, `[ping "probe"]`)
}

func TestReplayUnreadable(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.har")
	require.NoError(t, os.WriteFile(bad, []byte("{}"), 0o644))
	code, _, errs := execCLI("replay", bad)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "eio replay:")

	code, _, _ = execCLI("replay", filepath.Join(dir, "missing.har"))
	require.Equal(t, exitUsage, code)
	code, _, _ = execCLI("replay", "-speed", "0.5", traceDir+"/traces/v4-polling.har")
	require.Equal(t, exitUsage, code)
	code, _, _ = execCLI("replay")
	require.Equal(t, exitUsage, code)
}

// TestReplaySeveralSessions replays a HAR holding two sessions in turn.
func TestReplaySeveralSessions(t *testing.T) {
	a, err := har.ReadFile(traceDir + "/traces/v4-polling.har")
	require.NoError(t, err)
	b, err := har.ReadFile(traceDir + "/traces/v4-websocket.har")
	require.NoError(t, err)
	a.Entries = append(a.Entries, b.Entries...)
	both := filepath.Join(t.TempDir(), "both.har")
	require.NoError(t, har.WriteFile(both, a))
	code, out, errs := execCLI("replay", "-speed", "4", both)
	require.Equal(t, exitOK, code, out+errs)
	require.Contains(t, out, "PASS both.har#1")
	require.Contains(t, out, "PASS both.har#2")
}
