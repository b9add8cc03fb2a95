package peer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Kind names a peer implementation: a folder under conformance/peers.
type Kind string

const (
	// Node6 is engine.io 6 (protocol v4; v3 too with Options.AllowEIO3).
	Node6 Kind = "node6"
	// Node3 is engine.io 3 (protocol v3 only).
	Node3 Kind = "node3"
)

// Kinds lists every known peer kind.
func Kinds() []Kind { return []Kind{Node6, Node3} }

// Close reasons as the Node peers report them in Sessions. They are
// engine.io's own names, the same in engine.io 3 and 6.
const (
	// ReasonTransportClose: the client closed the session (close packet or
	// a closed connection).
	ReasonTransportClose = "transport close"
	// ReasonForcedClose: the server closed the socket (cmd:close).
	ReasonForcedClose = "forced close"
	// ReasonPingTimeout: the heartbeat was missed.
	ReasonPingTimeout = "ping timeout"
	// ReasonTransportError: the transport failed (e.g. an oversized
	// payload, a websocket error).
	ReasonTransportError = "transport error"
	// ReasonParseError: the client sent a packet the server could not decode.
	ReasonParseError = "parse error"
)

// Timeouts of the process handling.
const (
	startTimeout = 15 * time.Second // until "LISTENING <port>"
	termGrace    = 3 * time.Second  // SIGTERM → SIGKILL
	killWait     = 5 * time.Second  // SIGKILL → reaped
	stderrLimit  = 1 << 20          // bytes of stderr kept per peer
)

// Options configure a peer; zero values leave engine.io's defaults.
type Options struct {
	PingInterval time.Duration // --ping-interval (rounded up to ms)
	PingTimeout  time.Duration // --ping-timeout
	MaxPayload   int           // --max-payload (maxHttpBufferSize), bytes
	Transports   []string      // --transports, e.g. {"polling", "websocket"}
	NoUpgrades   bool          // --no-upgrades (allowUpgrades: false)
	AllowEIO3    bool          // --allow-eio3 (node6; node3 speaks only v3 anyway)
	Path         string        // --path, default "/engine.io"
	Cookie       string        // --cookie NAME: handshake sets cookie NAME=<sid>
	// UpgradeTimeout is --upgrade-timeout.
	UpgradeTimeout time.Duration
}

func millis(d time.Duration) string {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatInt(int64(ms), 10)
}

func (o Options) args() []string {
	var a []string
	if o.PingInterval > 0 {
		a = append(a, "--ping-interval", millis(o.PingInterval))
	}
	if o.PingTimeout > 0 {
		a = append(a, "--ping-timeout", millis(o.PingTimeout))
	}
	if o.MaxPayload > 0 {
		a = append(a, "--max-payload", strconv.Itoa(o.MaxPayload))
	}
	if len(o.Transports) > 0 {
		a = append(a, "--transports", strings.Join(o.Transports, ","))
	}
	if o.NoUpgrades {
		a = append(a, "--no-upgrades")
	}
	if o.AllowEIO3 {
		a = append(a, "--allow-eio3")
	}
	if o.Path != "" {
		a = append(a, "--path", o.Path)
	}
	if o.Cookie != "" {
		a = append(a, "--cookie", o.Cookie)
	}
	if o.UpgradeTimeout > 0 {
		a = append(a, "--upgrade-timeout", millis(o.UpgradeTimeout))
	}
	return a
}

// Peer is a running Node peer. Its methods are safe for concurrent use.
type Peer struct {
	// URL is the peer's base address, http://127.0.0.1:PORT (no path).
	URL string
	// Port is the TCP port the peer listens on; it stays the same across
	// Restart.
	Port int

	kind   Kind
	opts   Options
	dir    string
	stderr *tailBuffer
	client *http.Client

	mu     sync.Mutex
	proc   *process
	paused bool
}

// process is one run of `node server.js`.
type process struct {
	cmd     *exec.Cmd
	stdin   *os.File // write end; closing it tells the peer to exit
	done    chan struct{}
	waitErr error         // valid once done is closed
	drained chan struct{} // closed when stdout and stderr hit EOF
}

func (pr *process) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the peer's process group unless it has already exited.
func (pr *process) signal(sig syscall.Signal) error {
	if pr.exited() {
		return errors.New("peer: process has exited")
	}
	err := syscall.Kill(-pr.cmd.Process.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return errors.New("peer: process has exited")
	}
	return err
}

// Start launches the peer of the given kind on a free port of 127.0.0.1 and
// waits (at most 15 s) until it listens. The peer is stopped by t.Cleanup, and
// its stderr is added to the test log if the test failed.
//
// When the peer is not installed (see Available) the test is skipped, or
// failed when the environment variable CI is "true".
func Start(t testing.TB, kind Kind, opts Options) *Peer {
	t.Helper()
	if err := Available(kind); err != nil {
		msg := fmt.Sprintf("conformance peer %s is not available: %v; run `make peers` (bash conformance/peers/install.sh) to install it", kind, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	p := &Peer{
		kind:   kind,
		opts:   opts,
		dir:    Dir(kind),
		stderr: &tailBuffer{limit: stderrLimit},
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("stderr of peer %s (%s):\n%s", kind, p.URL, p.Stderr())
		}
	})
	if err := p.launch(0); err != nil {
		t.Fatalf("start peer %s: %v (its stderr follows in the log)", kind, err)
	}
	return p
}

// Kind reports which peer this is.
func (p *Peer) Kind() Kind { return p.kind }

// Stderr returns what the peer wrote to stderr so far (the last 1 MiB), over
// all its runs.
func (p *Peer) Stderr() string { return p.stderr.String() }

// EngineURL is URL plus the engine.io path, with a trailing slash
// (e.g. http://127.0.0.1:PORT/engine.io/).
func (p *Peer) EngineURL() string {
	path := p.opts.Path
	if path == "" {
		path = "/engine.io"
	}
	return p.URL + strings.TrimRight(path, "/") + "/"
}

// launch starts the process on port (0: any) and waits for LISTENING. A port
// still held by someone else is retried while the start timeout lasts.
func (p *Peer) launch(port int) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := p.launchOnce(port, deadline)
		if err == nil || port == 0 || !errors.Is(err, errAddrInUse) || time.Now().Add(200*time.Millisecond).After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var errAddrInUse = errors.New("address in use")

func (p *Peer) launchOnce(port int, deadline time.Time) error {
	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	args := append([]string{"server.js", "--verbose", "--port", strconv.Itoa(port)}, p.opts.args()...)
	cmd := exec.Command(node, args...)
	cmd.Dir = p.dir

	// Own pipes (not StdinPipe & co.) so that cmd.Wait never waits on, or
	// closes, a pipe that our readers still use.
	inR, inW, err := os.Pipe()
	if err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = startCmd(cmd)
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		return err
	}

	pr := &process{cmd: cmd, stdin: inW, done: make(chan struct{}), drained: make(chan struct{})}
	go func() {
		pr.waitErr = cmd.Wait()
		close(pr.done)
	}()

	ready := make(chan int, 1)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "LISTENING "); ok && !sent {
				if n, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
					ready <- n
					sent = true
					continue
				}
			}
			p.stderr.Write([]byte("stdout: " + line + "\n"))
		}
		_, _ = io.Copy(io.Discard, outR)
	}()
	runErr := &tailBuffer{limit: 64 << 10} // this run's stderr only
	go func() {
		defer readers.Done()
		defer errR.Close()
		_, _ = io.Copy(io.MultiWriter(p.stderr, runErr), errR)
	}()
	go func() {
		readers.Wait()
		close(pr.drained)
	}()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case got := <-ready:
		if port != 0 && got != port {
			pr.stop()
			return fmt.Errorf("peer listens on port %d, want %d", got, port)
		}
		p.mu.Lock()
		p.proc = pr
		p.paused = false
		if port == 0 {
			// First start; Restart keeps the port, so URL and Port are
			// never written again (tests read them without locking).
			p.Port = got
			p.URL = "http://127.0.0.1:" + strconv.Itoa(got)
		}
		p.mu.Unlock()
		return nil
	case <-pr.done:
		// Let stderr reach the buffer before judging the failure.
		waitOrTimeout(pr.drained, time.Second)
		if strings.Contains(runErr.String(), "EADDRINUSE") {
			return fmt.Errorf("peer exited before listening (%v): %w", pr.waitErr, errAddrInUse)
		}
		return fmt.Errorf("peer exited before listening: %v", pr.waitErr)
	case <-timer.C:
		pr.stop()
		return fmt.Errorf("peer did not print LISTENING within %v", startTimeout)
	}
}

func waitOrTimeout(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// stop ends the process: SIGCONT (in case it is paused), stdin closed,
// SIGTERM, and SIGKILL if it is still there after termGrace.
func (pr *process) stop() {
	defer pr.stdin.Close()
	if !pr.exited() {
		_ = pr.signal(syscall.SIGCONT)
		_ = pr.stdin.Close()
		_ = pr.signal(syscall.SIGTERM)
		if !waitOrTimeout(pr.done, termGrace) {
			_ = pr.signal(syscall.SIGKILL)
			waitOrTimeout(pr.done, killWait)
		}
	}
	waitOrTimeout(pr.drained, time.Second)
}

// Stop ends the peer (SIGTERM, then SIGKILL after 3 s) and waits for it to
// exit. A paused peer is resumed first. Stop is idempotent; Start's cleanup
// calls it.
func (p *Peer) Stop() {
	p.mu.Lock()
	pr := p.proc
	p.proc = nil
	p.paused = false
	p.mu.Unlock()
	if pr != nil {
		pr.stop()
	}
}

// Pause freezes the peer with SIGSTOP: it keeps its connections but neither
// reads nor writes, as a hung server would. It returns once the process is
// seen stopped (or after one second where /proc is not available).
func (p *Peer) Pause() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return errors.New("peer: not running")
	}
	if err := p.proc.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	p.paused = true
	return waitState(p.proc, true)
}

// Resume continues a paused peer with SIGCONT.
func (p *Peer) Resume() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return errors.New("peer: not running")
	}
	if err := p.proc.signal(syscall.SIGCONT); err != nil {
		return err
	}
	p.paused = false
	return waitState(p.proc, false)
}

// waitState waits (bounded) until /proc says the process is, or is not,
// stopped by a signal.
func waitState(pr *process, stopped bool) error {
	statPath := fmt.Sprintf("/proc/%d/stat", pr.cmd.Process.Pid)
	deadline := time.Now().Add(time.Second)
	for {
		b, err := os.ReadFile(statPath)
		if err != nil {
			return nil // no procfs: signals were sent, that is all we can do
		}
		// Format: pid (comm) state ...; comm may contain spaces or ')'.
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
			st := s[i+2]
			if (st == 'T' || st == 't') == stopped {
				return nil
			}
		}
		if pr.exited() {
			return errors.New("peer: process has exited")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("peer: process did not become stopped=%v within 1s", stopped)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Restart stops the peer and starts it again on the same port, with the same
// options. All sessions are lost, as when a real server restarts.
func (p *Peer) Restart(t testing.TB) error {
	t.Helper()
	p.Stop()
	p.mu.Lock()
	port := p.Port
	p.mu.Unlock()
	p.stderr.Write([]byte("--- restart ---\n"))
	if err := p.launch(port); err != nil {
		return fmt.Errorf("restart peer %s on port %d: %w", p.kind, port, err)
	}
	return nil
}

// Sessions is the peer's view of its Engine.IO sessions.
type Sessions struct {
	// Open lists the ids of the sessions that are open now.
	Open []string `json:"open"`
	// Closed lists the last 100 closed sessions, oldest first.
	Closed []ClosedSession `json:"closed"`
}

// ClosedSession is a session the peer closed, with engine.io's reason
// (see the Reason constants).
type ClosedSession struct {
	ID          string `json:"id"`
	Reason      string `json:"reason"`
	Description string `json:"description,omitempty"` // error message, if any
	Transport   string `json:"transport"`             // transport at close time
	Protocol    int    `json:"protocol"`              // 3 or 4
}

// IsOpen reports whether the session id is open.
func (s Sessions) IsOpen(id string) bool {
	for _, o := range s.Open {
		if o == id {
			return true
		}
	}
	return false
}

// Find returns the closed session with the given id.
func (s Sessions) Find(id string) (ClosedSession, bool) {
	for i := len(s.Closed) - 1; i >= 0; i-- {
		if s.Closed[i].ID == id {
			return s.Closed[i], true
		}
	}
	return ClosedSession{}, false
}

// Sessions fetches GET /peer/sessions.
func (p *Peer) Sessions(ctx context.Context) (Sessions, error) {
	p.mu.Lock()
	url := p.URL + "/peer/sessions"
	p.mu.Unlock()
	var s Sessions
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return s, err
	}
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET %s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("GET %s: %w", url, err)
	}
	return s, nil
}

// WaitClosed polls Sessions until the session id is reported closed and
// returns it. Without a deadline in ctx it gives up after 10 s.
func (p *Peer) WaitClosed(ctx context.Context, id string) (ClosedSession, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := p.Sessions(ctx)
		if err == nil {
			if c, ok := s.Find(id); ok {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("session %q still open=%v", id, s.IsOpen(id))
			}
			return ClosedSession{}, fmt.Errorf("wait for close of %q: %w (last: %v)", id, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// Dir returns the absolute path of the peer folder of kind
// (<module root>/conformance/peers/<kind>), or "" if the module root cannot
// be found.
func Dir(kind Kind) string {
	root, err := moduleRoot()
	if err != nil {
		return ""
	}
	return filepath.Join(root, "conformance", "peers", string(kind))
}

var moduleRoot = sync.OnceValues(func() (string, error) {
	// The source tree of this package, when the binary was built from it
	// (always so for `go test`, unless -trimpath).
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root, ok := findGoMod(filepath.Dir(file)); ok {
			return root, nil
		}
	}
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if gomod := strings.TrimSpace(string(out)); gomod != "" && gomod != os.DevNull {
			return filepath.Dir(gomod), nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := findGoMod(wd); ok {
			return root, nil
		}
	}
	return "", errors.New("cannot find the module root (go.mod)")
})

func findGoMod(dir string) (string, bool) {
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Available reports whether the peer of kind can run: node is on PATH and
// the folder's node_modules holds the engine.io version its package.json
// pins. The error says what is missing.
func Available(kind Kind) error {
	known := false
	for _, k := range Kinds() {
		known = known || k == kind
	}
	if !known {
		return fmt.Errorf("unknown peer kind %q", kind)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not on PATH: %w", err)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "conformance", "peers", string(kind))
	var want struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &want); err != nil {
		return err
	}
	var got struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(dir, "node_modules", "engine.io", "package.json"), &got); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("engine.io is not installed in %s", dir)
		}
		return err
	}
	if w := want.Dependencies["engine.io"]; w != "" && w != got.Version {
		return fmt.Errorf("%s has engine.io %s installed, package.json pins %s", dir, got.Version, w)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	mu        sync.Mutex
	buf       []byte
	limit     int
	truncated bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.limit {
		keep := b.limit * 3 / 4
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-keep:]...)
		b.truncated = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.truncated {
		return "[... earlier output dropped ...]\n" + string(b.buf)
	}
	return string(b.buf)
}
