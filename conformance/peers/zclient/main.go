// Command zclient is the bench worker of the zishang520 Engine.IO client
// (github.com/zishang520/socket.io/clients/engine/v3) for `eio bench`. It is
// a module of its own so that the library's dependencies stay out of eio's
// go.mod.
//
//	zclient -scenario rtt|pipe|connect|idle -url http://127.0.0.1:PORT [flags]
//
// It takes the worker flags of cmd/eio/bench_worker.go, measures one
// scenario against an Engine.IO v4 echo server, and prints one JSON line in
// the same shape. The scenario drivers mirror bench_worker.go's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	engine "github.com/zishang520/socket.io/clients/engine/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

const libPath = "github.com/zishang520/socket.io/clients/engine/v3"

type config struct {
	scenario, url, mode string
	n, warmup, size     int
	binary              bool
	window              int
	maxTime, timeout    time.Duration
}

// result mirrors cmd/eio's benchResult.
type result struct {
	Client    string `json:"client"`
	Version   string `json:"version,omitempty"`
	Scenario  string `json:"scenario"`
	Mode      string `json:"mode"`
	Size      int    `json:"size"`
	Binary    bool   `json:"binary"`
	Messages  int64  `json:"messages"`
	ElapsedNS int64  `json:"elapsed_ns"`
	UserNS    int64  `json:"user_ns"`
	SysNS     int64  `json:"sys_ns"`
	Mallocs   int64  `json:"mallocs"`
	HWMKB     int64  `json:"hwm_kb"`
	MedianNS  int64  `json:"median_ns"`
	P99NS     int64  `json:"p99_ns"`
	Reads     int64  `json:"reads"`
	Writes    int64  `json:"writes"`
	ConnRSS   int64  `json:"conn_rss"`
	ConnGo    int64  `json:"conn_go"`
	Failures  int64  `json:"failures"`
	Error     string `json:"error,omitempty"`
}

func main() {
	c := config{}
	flag.StringVar(&c.scenario, "scenario", "rtt", "rtt, pipe, connect or idle")
	flag.StringVar(&c.url, "url", "", "server base URL")
	flag.StringVar(&c.mode, "mode", "websocket", "websocket, polling or upgrade")
	flag.IntVar(&c.n, "n", 1000, "messages, round trips, connects or connections")
	flag.IntVar(&c.warmup, "warmup", 0, "unmeasured messages or connects first")
	flag.IntVar(&c.size, "size", 32, "message bytes")
	flag.BoolVar(&c.binary, "binary", false, "binary messages")
	flag.IntVar(&c.window, "window", 1000, "messages in flight (pipe)")
	flag.DurationVar(&c.maxTime, "max-time", time.Minute, "pipe: stop sending after this long")
	flag.DurationVar(&c.timeout, "timeout", 3*time.Minute, "give up after this long")
	flag.Parse()
	res := result{Client: "zishang520", Version: libVersion(), Scenario: c.scenario, Mode: c.mode, Size: c.size, Binary: c.binary}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	var err error
	switch c.scenario {
	case "rtt":
		err = runRTT(ctx, c, &res)
	case "pipe":
		err = runPipe(ctx, c, &res)
	case "connect":
		err = runConnect(ctx, c, &res)
	case "idle":
		err = runIdle(ctx, c, &res)
	default:
		err = fmt.Errorf("unknown scenario %q", c.scenario)
	}
	cancel()
	if err != nil {
		res.Error = err.Error()
	}
	res.HWMKB = procStatusKB("VmHWM")
	_ = json.NewEncoder(os.Stdout).Encode(res)
	if err != nil {
		os.Exit(1)
	}
}

func libVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == libPath {
				return d.Version
			}
		}
	}
	return ""
}

// conn is one zishang520 socket.
type conn struct {
	s      engine.Socket
	closed chan struct{}
}

// dial opens a socket and returns once it carries messages (for the
// upgrade mode: once it has upgraded).
func dial(ctx context.Context, url, mode string, onMessage func()) (*conn, error) {
	opts := engine.DefaultSocketOptions()
	switch mode {
	case "websocket":
		opts.SetTransports(types.NewSet[engine.TransportCtor](&engine.WebSocketBuilder{}))
	case "polling":
		opts.SetTransports(types.NewSet[engine.TransportCtor](&engine.PollingBuilder{}))
		opts.SetUpgrade(false)
	case "upgrade":
		opts.SetTransports(types.NewSet[engine.TransportCtor](&engine.PollingBuilder{}, &engine.WebSocketBuilder{}))
		opts.SetUpgrade(true)
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	opts.SetPath("/engine.io")
	ready := make(chan error, 2)
	c := &conn{closed: make(chan struct{})}
	var once sync.Once
	readyEvent := "open"
	if mode == "upgrade" {
		readyEvent = "upgrade"
	}
	// Handlers go on before Construct, which starts connecting.
	s := engine.MakeSocket()
	c.s = s
	_ = s.On("message", func(...any) { onMessage() })
	_ = s.On(types.EventName(readyEvent), func(...any) { ready <- nil })
	_ = s.On("upgradeError", func(a ...any) { ready <- fmt.Errorf("upgrade error: %v", a) })
	_ = s.On("error", func(a ...any) { ready <- fmt.Errorf("error: %v", a) })
	_ = s.On("close", func(a ...any) {
		once.Do(func() { close(c.closed) })
		ready <- fmt.Errorf("closed: %v", a)
	})
	s.Construct(url, opts)
	select {
	case err := <-ready:
		if err != nil {
			c.close()
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		c.close()
		return nil, ctx.Err()
	}
}

func (c *conn) sender(data []byte, binary bool) func() error {
	if binary {
		return func() error { c.s.Send(bytes.NewReader(data), nil, nil); return nil }
	}
	text := string(data)
	return func() error { c.s.Send(strings.NewReader(text), nil, nil); return nil }
}

func (c *conn) close() {
	c.s.Close()
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-c.closed:
	case <-t.C:
	}
}

func payload(size int) []byte { return bytes.Repeat([]byte{'x'}, size) }

func quantiles(d []time.Duration) (median, p99 int64) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return int64(d[len(d)/2]), int64(d[min(len(d)-1, len(d)*99/100)])
}

func runRTT(ctx context.Context, cfg config, res *result) error {
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

func (e *echoCounter) until(total int64) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.target, e.done = total, make(chan struct{})
	if e.n >= total {
		close(e.done)
	}
	return e.done
}

func runPipe(ctx context.Context, cfg config, res *result) error {
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
	r0, w0 := procIO()
	u0, s0 := cpuTimes()
	e0 := echoes.count()
	start := time.Now()
	err = burst(cfg.n, start.Add(cfg.maxTime), start.Add(cfg.maxTime*3/2))
	elapsed := time.Since(start)
	e1 := echoes.count()
	u1, s1 := cpuTimes()
	r1, w1 := procIO()
	runtime.ReadMemStats(&m1)
	if err != nil {
		return err
	}
	res.Messages = e1 - e0
	res.ElapsedNS = int64(elapsed)
	res.UserNS, res.SysNS = int64(u1-u0), int64(s1-s0)
	res.Mallocs = int64(m1.Mallocs - m0.Mallocs)
	res.Reads, res.Writes = r1-r0, w1-w0
	return nil
}

func runConnect(ctx context.Context, cfg config, res *result) error {
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

func runIdle(ctx context.Context, cfg config, res *result) error {
	settle()
	rss0, g0 := procStatusKB("VmRSS"), runtime.NumGoroutine()
	conns := make([]*conn, cfg.n)
	errs := make([]error, cfg.n)
	sem := make(chan struct{}, 16)
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

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}
