package peer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Close reasons as the peers report them in Sessions. They are engine.io's
// own names, the same in engine.io 3 and 6 and in the Go server; the Python
// peer, whose python-engineio 4.3.4 gives no reason, infers the same words
// from what it saw (a close packet, a missed ping, cmd:close, an oversized
// POST).
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

// Options configure a peer; zero values leave the server's defaults.
type Options struct {
	PingInterval time.Duration // --ping-interval (rounded up to ms)
	PingTimeout  time.Duration // --ping-timeout
	MaxPayload   int           // --max-payload (maxHttpBufferSize), bytes
	Transports   []string      // --transports, e.g. {"polling", "websocket"}
	NoUpgrades   bool          // --no-upgrades (allowUpgrades: false)
	AllowEIO3    bool          // --allow-eio3 (node6; node3 speaks only v3 anyway)
	Path         string        // --path, default "/engine.io"
	Cookie       string        // --cookie NAME: handshake sets cookie NAME=<sid>
	// UpgradeTimeout is --upgrade-timeout (ignored by the Python peer:
	// python-engineio 4.3.4 has no such option).
	UpgradeTimeout time.Duration
	// AsyncMode is the Python peer's --async-mode: "aiohttp" (the default
	// when empty), "eventlet" or "gevent". Other kinds refuse it.
	AsyncMode string
	// ExtraArgs are appended to the command line, for flags only one kind
	// has (e.g. the Go server's --server-cookie).
	ExtraArgs []string
}

func millis(d time.Duration) string {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatInt(int64(ms), 10)
}

func (o Options) args() []string {
	var a []string
	if o.AsyncMode != "" {
		a = append(a, "--async-mode", o.AsyncMode)
	}
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
	return append(a, o.ExtraArgs...)
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
	stderr *tailBuffer
	client *http.Client

	mu     sync.Mutex
	proc   *process
	paused bool
}

// process is one run of the peer's server program.
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
	if opts.AsyncMode != "" && kind != Python {
		t.Fatalf("peer %s: Options.AsyncMode is for the %s peer only", kind, Python)
	}
	p := &Peer{
		kind:   kind,
		opts:   opts,
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
	cmd, err := Command(p.kind, append([]string{"--verbose", "--port", strconv.Itoa(port)}, p.opts.args()...)...)
	if err != nil {
		return err
	}

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

// Kill ends the peer at once with SIGKILL, as a crash would: it closes no
// session and sends nothing. It returns once the process is gone. Restart
// starts it again.
func (p *Peer) Kill() error {
	p.mu.Lock()
	pr := p.proc
	p.proc = nil
	p.paused = false
	p.mu.Unlock()
	if pr == nil {
		return errors.New("peer: not running")
	}
	defer pr.stdin.Close()
	if err := pr.signal(syscall.SIGKILL); err != nil {
		return err
	}
	if !waitOrTimeout(pr.done, killWait) {
		return fmt.Errorf("peer: process did not exit within %v of SIGKILL", killWait)
	}
	waitOrTimeout(pr.drained, time.Second)
	return nil
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
