package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// benchPeer is the Node engine.io 6 echo server of conformance/peers/node6,
// started by eio bench for the whole run. It exits when its stdin closes,
// on SIGTERM, or (on Linux) when this process dies.
type benchPeer struct {
	url  string
	pid  int
	cmd  *exec.Cmd
	in   io.WriteCloser
	done chan struct{}

	mu     sync.Mutex
	stderr []byte // the last 64 KiB
}

const (
	peerStartTimeout = 15 * time.Second
	peerStopGrace    = 3 * time.Second
)

// startBenchPeer runs `node server.js --port 0` in dir and waits for its
// LISTENING line.
func startBenchPeer(dir string, extra ...string) (*benchPeer, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, append([]string{"server.js", "--port", "0"}, extra...)...)
	cmd.Dir = dir
	setChildAttrs(cmd)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &benchPeer{cmd: cmd, in: in, done: make(chan struct{})}
	cmd.Stderr = p
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.pid = cmd.Process.Pid
	go func() { _ = cmd.Wait(); close(p.done) }()
	port := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil {
					port <- n
				}
			}
		}
	}()
	timer := time.NewTimer(peerStartTimeout)
	defer timer.Stop()
	select {
	case n := <-port:
		p.url = "http://127.0.0.1:" + strconv.Itoa(n)
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("node peer exited before listening: %s", p.tail())
	case <-timer.C:
		p.stop()
		return nil, fmt.Errorf("node peer did not listen within %v: %s", peerStartTimeout, p.tail())
	}
}

// Write keeps the end of the peer's stderr.
func (p *benchPeer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stderr = append(p.stderr, b...)
	if len(p.stderr) > 64<<10 {
		p.stderr = p.stderr[len(p.stderr)-64<<10:]
	}
	return len(b), nil
}

func (p *benchPeer) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSpace(string(p.stderr))
}

// cpu returns the CPU time the peer has used so far.
func (p *benchPeer) cpu() time.Duration { return processCPU(p.pid) }

// stop ends the peer: stdin closed and SIGTERM, SIGKILL after a grace
// period.
func (p *benchPeer) stop() {
	_ = p.in.Close()
	killGroup(p.cmd, syscall.SIGTERM)
	timer := time.NewTimer(peerStopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		killGroup(p.cmd, syscall.SIGKILL)
		<-p.done
	}
}

// findRoot returns the repository root: dir if given, else the nearest
// ancestor of the working directory that holds the Node peer.
func findRoot(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "conformance", "peers", "node6", "server.js")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("conformance/peers/node6/server.js not found above the working directory; run from the repository or pass -root")
		}
	}
}

// npmVersion returns the version of an installed npm package, or "".
func npmVersion(modules, pkg string) string {
	b, err := os.ReadFile(filepath.Join(modules, pkg, "package.json"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), `"version":`); ok {
			return strings.Trim(strings.TrimSpace(rest), `",`)
		}
	}
	return ""
}
