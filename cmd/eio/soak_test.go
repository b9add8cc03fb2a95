package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/peer"
)

func TestReplaceRegion(t *testing.T) {
	doc := "# T\n\nbefore\n" + soakBegin + "\nold\nlines\n" + soakEnd + "\nafter <!-- soak -->\n"
	got, err := replaceRegion(doc, soakBegin, soakEnd, "| a | b |")
	require.NoError(t, err)
	require.Equal(t, "# T\n\nbefore\n"+soakBegin+"\n| a | b |\n"+soakEnd+"\nafter <!-- soak -->\n", got)

	again, err := replaceRegion(got, soakBegin, soakEnd, "| a | b |\n")
	require.NoError(t, err)
	require.Equal(t, got, again, "regenerating with the same body changes nothing")

	empty, err := replaceRegion(soakBegin+soakEnd, soakBegin, soakEnd, "x")
	require.NoError(t, err)
	require.Equal(t, soakBegin+"\nx\n"+soakEnd, empty)

	for name, bad := range map[string]string{
		"no begin":    "text " + soakEnd,
		"no end":      soakBegin + " text",
		"end first":   soakEnd + " " + soakBegin,
		"begin twice": soakBegin + soakEnd + soakBegin + soakEnd,
	} {
		_, err := replaceRegion(bad, soakBegin, soakEnd, "x")
		require.Error(t, err, name)
	}
}

func TestWriteSoakRegion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reliability.md")
	require.NoError(t, os.WriteFile(path, []byte("head\n"+soakBegin+"\n"+soakEnd+"\ntail\n"), 0o644))
	require.NoError(t, writeSoakRegion(path, "body"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "head\n"+soakBegin+"\nbody\n"+soakEnd+"\ntail\n", string(b))
	require.Error(t, writeSoakRegion(filepath.Join(t.TempDir(), "missing.md"), "body"))
}

// passing is the result of a clean run of 10 clients.
func passing() *soakResult {
	return &soakResult{
		cfg:       soakConfig{clients: 10, goSlack: 2},
		connected: 10, sent: 100, received: 100,
		goBefore: 5, goPeak: 40, goAfter: 7,
		connectErrors: map[string]int{}, sendErrors: map[string]int{}, unexpected: map[string]int{},
		closeOdd: map[string]int{}, stopErrors: map[string]int{}, serverClose: map[string]int{},
	}
}

func TestSoakVerdict(t *testing.T) {
	require.Empty(t, passing().verdict())
	for name, tc := range map[string]struct {
		spoil func(r *soakResult)
		want  string
	}{
		"connect failed":   {func(r *soakResult) { r.connected = 9; r.connectErrors["refused"] = 1 }, "1 of 10 clients failed to connect"},
		"nothing sent":     {func(r *soakResult) { r.sent, r.received = 0, 0 }, "no message was sent"},
		"lost":             {func(r *soakResult) { r.lost = 3 }, "3 messages lost while connected"},
		"out of order":     {func(r *soakResult) { r.outOfOrder = 1 }, "out of order 1"},
		"duplicate":        {func(r *soakResult) { r.duplicates = 1 }, "duplicated 1"},
		"send refused":     {func(r *soakResult) { r.sendErrors["eio: write buffer full"] = 2 }, "2 sends refused"},
		"ping timeout":     {func(r *soakResult) { r.unexpected["ping timeout"] = 1 }, "1 clients disconnected during the run"},
		"odd close":        {func(r *soakResult) { r.closeOdd["transport error: EOF"] = 1 }, "1 disconnects did not end cleanly"},
		"stop timeout":     {func(r *soakResult) { r.stopErrors["wait: context deadline exceeded"] = 1 }, "1 disconnects did not end cleanly"},
		"goroutine leak":   {func(r *soakResult) { r.goAfter = 8 }, "goroutines did not return to the baseline: 8 after, 5 before"},
		"lost after leave": {func(r *soakResult) { r.lostDisconnected = 1; r.unexpected["transport error"] = 1 }, "disconnected during the run"},
	} {
		r := passing()
		tc.spoil(r)
		why := r.verdict()
		require.Len(t, why, 1, name)
		require.Contains(t, why[0], tc.want, name)
		require.Contains(t, r.markdown(), "**FAIL**", name)
	}
}

// TestSoakServerView: the peer's record of ended sessions is shown, and
// the disconnects behind it fail the run on the client's side.
func TestSoakServerView(t *testing.T) {
	r := passing()
	r.serverClose["transport close"] = 4
	require.Empty(t, r.verdict())
	require.Contains(t, r.markdown(), "| 4× transport close |")
}

func TestSoakReading(t *testing.T) {
	r := passing()
	r.cfg.pingInterval, r.cfg.pingTimeout = 200*time.Millisecond, 400*time.Millisecond
	require.Equal(t, "no disconnect to explain", r.reading())
	r.unexpected["ping timeout"] = 3
	r.serverProbes, r.lagMax = []time.Duration{time.Millisecond, 800 * time.Millisecond}, 50*time.Millisecond
	require.Contains(t, r.reading(), "the server was late: it answered a plain GET as late as 800.0 ms, past the 600.0 ms")
	r.serverProbes, r.lagMax = []time.Duration{time.Millisecond}, 700*time.Millisecond
	require.Contains(t, r.reading(), "this process was late: its timers fired up to 700.0 ms late")
	r.lagMax = 10 * time.Millisecond
	require.Contains(t, r.reading(), "neither probe saw a delay past 600.0 ms")
}

// TestWriteSoakRegionKeepsNotes: the notes written by hand in the region
// survive a regeneration; the figures do not.
func TestWriteSoakRegionKeepsNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reliability.md")
	old := "head\n" + soakBegin + "\n| old | figures |\n\n<!-- notes:soak -->\nNode was late.\n<!-- /notes:soak -->\n" + soakEnd + "\ntail\n"
	require.NoError(t, os.WriteFile(path, []byte(old), 0o644))
	require.NoError(t, writeSoakRegion(path, passing().markdown()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), "<!-- notes:soak -->\nNode was late.\n<!-- /notes:soak -->\n"+soakEnd+"\ntail\n")
	require.NotContains(t, string(b), "| old | figures |")
	require.NotContains(t, string(b), "to be written")
}

func TestCounted(t *testing.T) {
	require.Equal(t, "none", counted(nil, "none"))
	require.Equal(t, "3× b; 1× a; 1× c", counted(map[string]int{"a": 1, "b": 3, "c": 1}, "none"))
}

// TestSoakSmokeNode runs a tiny soak against Node's engine.io with the
// soak's 200 ms pings: every echo back in order, no disconnect, the
// goroutines back to the baseline. The ping timeout is long, so that a
// machine busy with other tests cannot turn a late ping into a failure.
func TestSoakSmokeNode(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{PingInterval: 200 * time.Millisecond, PingTimeout: 5 * time.Second})
	doc := filepath.Join(t.TempDir(), "reliability.md")
	require.NoError(t, os.WriteFile(doc, []byte("keep\n"+soakBegin+"\n"+soakEnd+"\nkeep too\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"soak", "-url", p.URL, "-clients", "5", "-duration", "1s", "-interval", "100ms",
		"-ping-interval", "200ms", "-ping-timeout", "5s", "-o", doc}, &stdout, &stderr)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	out := stdout.String()
	require.Regexp(t, `clients connected: +5 of 5 `, out)
	m := regexp.MustCompile(`messages sent / echoed: +(\d+) / (\d+)\n`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Equal(t, m[1], m[2], "every message echoed")
	require.NotEqual(t, "0", m[1], "messages were sent")
	require.Regexp(t, `messages lost while connected: +0\n`, out)
	require.Regexp(t, `disconnects during the run \(client's reason\): +none\n`, out)
	require.Regexp(t, `verdict: +pass\n`, out)
	b, err := os.ReadFile(doc)
	require.NoError(t, err)
	require.Regexp(t, `(?s)^keep\n`+soakBegin+`\nMeasured by .*\| verdict \| pass \|\n\n<!-- notes:soak -->\n.*<!-- /notes:soak -->\n`+soakEnd+`\nkeep too\n$`, string(b))
}
