package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eio-go/eio/conformance/har"
	"github.com/eio-go/eio/conformance/peer"
)

func TestProxyRecordsUntilCancelled(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "4hi")
	}))
	defer target.Close()
	out := filepath.Join(t.TempDir(), "out.har")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errs strings.Builder
	done := make(chan int, 1)
	go func() {
		code := runProxy(ctx, []string{"-listen", "127.0.0.1:0", "-target", target.URL, "-o", out}, pw, &errs)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTENING ")
	require.True(t, ok, line)
	go func() { _, _ = io.Copy(io.Discard, pr) }()

	resp, err := http.Get("http://" + addr + "/engine.io/?EIO=4&transport=polling")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "4hi", string(body))

	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, errs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not stop")
	}
	l, err := har.ReadFile(out)
	require.NoError(t, err)
	require.Len(t, l.Entries, 1)
	require.Equal(t, "4hi", l.Entries[0].Response.Content.Text)
}

func TestProxyUsage(t *testing.T) {
	code, _, _ := execCLI("proxy", "-target", "http://127.0.0.1:1")
	require.Equal(t, exitUsage, code, "-o is required")
	code, _, _ = execCLI("proxy", "-target", "ftp://x", "-o", filepath.Join(t.TempDir(), "x.har"))
	require.Equal(t, exitUsage, code)
}

// TestConnectRecordNode6 records a connect session with -record, then
// replays the file.
func TestConnectRecordNode6(t *testing.T) {
	p := peer.Start(t, peer.Node6, peer.Options{})
	out := filepath.Join(t.TempDir(), "connect.har")
	code, stdout, errs := execCLI("connect", "-record", out, "-send", "hello", "-expect", "1", "-timeout", "20s", p.URL)
	require.Equal(t, exitOK, code, stdout+errs)
	code, stdout, errs = execCLI("replay", "-speed", "4", out)
	require.Equal(t, exitOK, code, stdout+errs)
	require.Contains(t, stdout, "PASS connect.har#1")
}
