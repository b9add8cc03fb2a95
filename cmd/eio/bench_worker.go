package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"time"
)

// A bench worker is one client measuring one scenario in a process of its
// own, so that CPU time, allocations and peak RSS are that client's alone.
// The coordinator (bench.go) starts workers as `eio bench -worker NAME` and
// reads one JSON line, a benchResult, from their stdout. The zishang520
// client (conformance/peers/zclient) and the JavaScript client
// (bench_jsclient.go) take the same flags and print the same JSON.

// The scenarios.
const (
	scenRTT     = "rtt"     // one message in flight: round-trip times
	scenPipe    = "pipe"    // up to -window messages in flight: throughput, CPU, allocations
	scenConnect = "connect" // connect, then disconnect, -n times
	scenIdle    = "idle"    // -n idle connections held open at once
)

// The connection modes.
const (
	modeWebSocket = "websocket" // WebSocket from the start
	modePolling   = "polling"   // long-polling only
	modeUpgrade   = "upgrade"   // polling, then upgraded to WebSocket
)

// workerConfig is what a worker is asked to measure.
type workerConfig struct {
	client     string
	scenario   string
	url        string // the server's base URL, http://127.0.0.1:PORT
	mode       string
	n          int           // messages, round trips, connects or connections
	warmup     int           // unmeasured messages or connects first
	size       int           // message bytes
	binary     bool          // binary instead of text messages
	window     int           // messages in flight (pipe)
	maxTime    time.Duration // pipe: stop sending after this long
	timeout    time.Duration // the whole worker
	cpuProfile string
	memProfile string
}

// benchResult is a worker's report. Durations are in nanoseconds; -1
// means the client cannot measure that quantity.
type benchResult struct {
	Client   string `json:"client"`
	Version  string `json:"version,omitempty"`
	Scenario string `json:"scenario"`
	Mode     string `json:"mode"`
	Size     int    `json:"size"`
	Binary   bool   `json:"binary"`

	Messages  int64 `json:"messages"`   // pipe: echoes measured
	ElapsedNS int64 `json:"elapsed_ns"` // pipe: first send to last echo
	UserNS    int64 `json:"user_ns"`    // CPU of the measured part
	SysNS     int64 `json:"sys_ns"`
	Mallocs   int64 `json:"mallocs"`   // heap allocations of the measured part
	HWMKB     int64 `json:"hwm_kb"`    // peak RSS of the process (VmHWM)
	MedianNS  int64 `json:"median_ns"` // rtt and connect
	P99NS     int64 `json:"p99_ns"`    // rtt and connect
	Reads     int64 `json:"reads"`     // pipe: read system calls of the measured part
	Writes    int64 `json:"writes"`    // pipe: write system calls of the measured part
	ConnRSS   int64 `json:"conn_rss"`  // idle: RSS bytes per connection
	ConnGo    int64 `json:"conn_go"`   // idle: goroutines per connection ×1000
	Failures  int64 `json:"failures"`  // connect: attempts over connectLimit

	// eio with -count-writes: Transport.Write calls and their packets in
	// the measured part.
	TransportWrites  int64 `json:"transport_writes,omitempty"`
	TransportPackets int64 `json:"transport_packets,omitempty"`
	ServerCPU        int64 `json:"server_cpu"` // filled by the coordinator: the server's CPU ns during the run

	Error string `json:"error,omitempty"`
}

// benchConn is one open connection of a client under test.
type benchConn interface {
	// sender returns a function that sends the given message once per
	// call; preparing it is not measured.
	sender(data []byte, binary bool) func() error
	// close ends the connection and waits for the client to let go of it.
	close()
}

// benchDialer opens a connection in a mode and returns once it can carry
// messages (for modeUpgrade: once it has upgraded). onMessage is called
// for every message received.
type benchDialer func(ctx context.Context, url, mode string, onMessage func()) (benchConn, error)

// workerFlags parses the worker's flags; the JS and zishang520 workers
// take the same.
func workerFlags(args []string, stderr io.Writer) (*workerConfig, error) {
	c := &workerConfig{}
	fs := flag.NewFlagSet("eio bench -worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.client, "worker", "", "client to run: eio or floor")
	fs.StringVar(&c.scenario, "scenario", scenRTT, "rtt, pipe, connect or idle")
	fs.StringVar(&c.url, "url", "", "server base URL")
	fs.StringVar(&c.mode, "mode", modeWebSocket, "websocket, polling or upgrade")
	fs.IntVar(&c.n, "n", 1000, "messages, round trips, connects or connections")
	fs.IntVar(&c.warmup, "warmup", 0, "unmeasured messages or connects first")
	fs.IntVar(&c.size, "size", 32, "message bytes")
	fs.BoolVar(&c.binary, "binary", false, "binary messages")
	fs.IntVar(&c.window, "window", 1000, "messages in flight (pipe)")
	fs.DurationVar(&c.maxTime, "max-time", time.Minute, "pipe: stop sending after this long")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Minute, "give up after this long")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured part")
	fs.StringVar(&c.memProfile, "memprofile", "", "write an allocation profile of the measured part")
	fs.BoolVar(&writeStats.on, "count-writes", false, "eio: count Transport.Write calls and their packets")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.url == "" {
		return nil, errors.New("-url is required")
	}
	return c, nil
}

// workerCmd runs one worker and prints its result as a JSON line.
func workerCmd(args []string, stdout, stderr io.Writer) int {
	cfg, err := workerFlags(args, stderr)
	if err != nil {
		return exitUsage
	}
	if cfg.memProfile != "" {
		runtime.MemProfileRate = 4096
	}
	var dial benchDialer
	switch cfg.client {
	case "eio":
		dial = dialEIO
	case "floor":
		dial = dialFloor
	default:
		fmt.Fprintf(stderr, "eio bench: unknown worker %q (eio or floor)\n", cfg.client)
		return exitUsage
	}
	res := runWorker(cfg, dial)
	res.Version = version()
	_ = json.NewEncoder(stdout).Encode(res)
	if res.Error != "" {
		return exitFail
	}
	return exitOK
}

// runWorker measures cfg.scenario with dial.
func runWorker(cfg *workerConfig, dial benchDialer) benchResult {
	res := benchResult{Client: cfg.client, Scenario: cfg.scenario, Mode: cfg.mode, Size: cfg.size, Binary: cfg.binary}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	var err error
	switch cfg.scenario {
	case scenRTT:
		err = runRTT(ctx, cfg, dial, &res)
	case scenPipe:
		err = runPipe(ctx, cfg, dial, &res)
	case scenConnect:
		err = runConnect(ctx, cfg, dial, &res)
	case scenIdle:
		err = runIdle(ctx, cfg, dial, &res)
	default:
		err = fmt.Errorf("unknown scenario %q", cfg.scenario)
	}
	if err != nil {
		res.Error = err.Error()
	}
	res.HWMKB = procStatusKB("VmHWM")
	return res
}

func payload(size int) []byte { return bytes.Repeat([]byte{'x'}, size) }

func runRTT(ctx context.Context, cfg *workerConfig, dial benchDialer, res *benchResult) error {
	got := make(chan struct{}, 1)
	c, err := dial(ctx, cfg.url, cfg.mode, func() { got <- struct{}{} })
	if err != nil {
		return err
	}
	defer c.close()
	send := c.sender(payload(cfg.size), cfg.binary)
	samples := make([]time.Duration, 0, cfg.n)
	u0, s0 := cpuTimes()
	for i := range cfg.warmup + cfg.n {
		start := time.Now()
		if err := send(); err != nil {
			return err
		}
		select {
		case <-got:
		case <-ctx.Done():
			return fmt.Errorf("round trip %d: %w", i, ctx.Err())
		}
		if i >= cfg.warmup {
			samples = append(samples, time.Since(start))
		}
	}
	u1, s1 := cpuTimes()
	res.Messages = int64(cfg.n)
	res.UserNS, res.SysNS = int64(u1-u0), int64(s1-s0)
	res.MedianNS, res.P99NS = quantiles(samples)
	return nil
}

// quantiles returns the median and the 99th percentile.
func quantiles(d []time.Duration) (median, p99 int64) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return int64(d[len(d)/2]), int64(d[min(len(d)-1, len(d)*99/100)])
}

// echoCounter counts echoes against a target that the sender moves.
type echoCounter struct {
	mu     sync.Mutex
	n      int64
	target int64
	done   chan struct{}
}

func (e *echoCounter) hit() {
	e.mu.Lock()
	e.n++
	if e.n == e.target {
		close(e.done)
	}
	e.mu.Unlock()
}

func (e *echoCounter) count() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

// until returns a channel closed once total echoes have arrived.
func (e *echoCounter) until(total int64) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.target, e.done = total, make(chan struct{})
	if e.n >= total {
		close(e.done)
	}
	return e.done
}

func runPipe(ctx context.Context, cfg *workerConfig, dial benchDialer, res *benchResult) error {
	credit := make(chan struct{}, cfg.window)
	var echoes echoCounter
	c, err := dial(ctx, cfg.url, cfg.mode, func() {
		<-credit
		echoes.hit()
	})
	if err != nil {
		return err
	}
	defer c.close()
	send := c.sender(payload(cfg.size), cfg.binary)
	// burst sends up to n messages, fewer when the deadline passes, and
	// waits for their echoes.
	var sent int64
	// burst sends up to n messages, stopping early at deadline, and waits
	// for their echoes until they are all back or hard passes; a client
	// that holds messages back (zishang520's polling) is cut off there.
	burst := func(n int, deadline, hard time.Time) error {
		cut := time.NewTimer(time.Until(hard))
		defer cut.Stop()
		for i := range n {
			if i%64 == 0 && time.Now().After(deadline) {
				break
			}
			select {
			case credit <- struct{}{}:
			case <-cut.C:
				return nil
			case <-ctx.Done():
				return fmt.Errorf("after %d messages: %w", sent, ctx.Err())
			}
			if err := send(); err != nil {
				return err
			}
			sent++
		}
		select {
		case <-echoes.until(sent):
		case <-cut.C:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d echoes: %w", echoes.count(), sent, ctx.Err())
		}
		return nil
	}
	now := time.Now()
	if err := burst(cfg.warmup, now.Add(cfg.maxTime), now.Add(cfg.maxTime*3/2)); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	stop, err := startProfile(cfg.cpuProfile)
	if err != nil {
		return err
	}
	tw0, tp0 := writeStats.calls.Load(), writeStats.packets.Load()
	r0, w0 := procIO()
	u0, s0 := cpuTimes()
	e0 := echoes.count()
	start := time.Now()
	err = burst(cfg.n, start.Add(cfg.maxTime), start.Add(cfg.maxTime*3/2))
	elapsed := time.Since(start)
	e1 := echoes.count()
	u1, s1 := cpuTimes()
	r1, w1 := procIO()
	tw1, tp1 := writeStats.calls.Load(), writeStats.packets.Load()
	stop()
	runtime.ReadMemStats(&m1)
	if err != nil {
		return err
	}
	if err := writeMemProfile(cfg.memProfile); err != nil {
		return err
	}
	res.Messages = e1 - e0
	res.ElapsedNS = int64(elapsed)
	res.UserNS, res.SysNS = int64(u1-u0), int64(s1-s0)
	res.Mallocs = int64(m1.Mallocs - m0.Mallocs)
	res.Reads, res.Writes = r1-r0, w1-w0
	res.TransportWrites, res.TransportPackets = tw1-tw0, tp1-tp0
	if r0 < 0 {
		res.Reads, res.Writes = -1, -1
	}
	return nil
}

func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeMemProfile writes the allocations made so far (the profile's
// alloc_* samples); the worker sets the sampling rate at start.
func writeMemProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

func runConnect(ctx context.Context, cfg *workerConfig, dial benchDialer, res *benchResult) error {
	samples := make([]time.Duration, 0, cfg.n)
	for i := range cfg.warmup + cfg.n {
		start := time.Now()
		dctx, cancel := context.WithTimeout(ctx, connectLimit)
		c, err := dial(dctx, cfg.url, cfg.mode, func() {})
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && res.Failures < int64(cfg.n):
			res.Failures++ // counted, and left out of the times
			continue
		case err != nil:
			return fmt.Errorf("connect %d: %w", i, err)
		}
		if i >= cfg.warmup {
			samples = append(samples, time.Since(start))
		}
		c.close()
	}
	res.MedianNS, res.P99NS = quantiles(samples)
	return nil
}

// connectLimit bounds one connect; a connect that takes longer counts as
// a failure.
const connectLimit = 5 * time.Second

// idleParallel bounds the connects in flight while opening idle
// connections.
const idleParallel = 16

func runIdle(ctx context.Context, cfg *workerConfig, dial benchDialer, res *benchResult) error {
	settle()
	rss0, g0 := procStatusKB("VmRSS"), runtime.NumGoroutine()
	conns := make([]benchConn, cfg.n)
	errs := make([]error, cfg.n)
	sem := make(chan struct{}, idleParallel)
	var wg sync.WaitGroup
	for i := range conns {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 3*connectLimit)
			defer cancel()
			conns[i], errs[i] = dial(dctx, cfg.url, cfg.mode, func() {})
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				sem <- struct{}{}
				wg.Go(func() { defer func() { <-sem }(); c.close() })
			}
		}
		wg.Wait()
	}()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	settle()
	rss1, g1 := procStatusKB("VmRSS"), runtime.NumGoroutine()
	res.ConnRSS = (rss1 - rss0) * 1024 / int64(cfg.n)
	res.ConnGo = int64(g1-g0) * 1000 / int64(cfg.n)
	return nil
}

// settle collects garbage and returns freed memory to the system, so that
// RSS counts live memory.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}
