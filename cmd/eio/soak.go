package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eio-go/eio/client"
)

// eio soak holds many clients open against the Node peer for a while with
// short heartbeats and steady traffic, then disconnects them all, and
// checks that nothing was lost, nobody was disconnected, and the
// goroutines went back to where they were (soak_client.go: one client;
// soak_report.go: the figures and docs/reliability.md).

// soakConfig is what a soak run is asked to do.
type soakConfig struct {
	clients      int
	duration     time.Duration
	interval     time.Duration
	size         int
	pingInterval time.Duration
	pingTimeout  time.Duration
	transports   []string
	rampRate     int
	dialParallel int
	drain        time.Duration
	stopLimit    time.Duration
	goSlack      int
	url          string // an already running peer; empty starts one
	out          string
	root         string
}

// soakSampleEvery is how often goroutines and RSS are sampled.
const soakSampleEvery = 250 * time.Millisecond

// soakTick is the sender's period; each tick sends for the clients whose
// turn it is, so the load is spread evenly over the interval.
const soakTick = 10 * time.Millisecond

func soakCmd(args []string, stdout, stderr io.Writer) int {
	c := soakConfig{}
	var transports string
	fs := flag.NewFlagSet("eio soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.clients, "clients", 1000, "concurrent clients")
	fs.DurationVar(&c.duration, "duration", time.Minute, "steady traffic after the last client connected")
	fs.DurationVar(&c.interval, "interval", time.Second, "each client sends a message this often")
	fs.IntVar(&c.size, "size", 64, "message bytes")
	fs.DurationVar(&c.pingInterval, "ping-interval", 200*time.Millisecond, "the server's pingInterval")
	fs.DurationVar(&c.pingTimeout, "ping-timeout", 400*time.Millisecond, "the server's pingTimeout")
	fs.StringVar(&transports, "transports", "websocket", "the clients' transports, in upgrade order")
	fs.IntVar(&c.rampRate, "ramp", 200, "at most this many connects per second")
	fs.IntVar(&c.dialParallel, "dial-parallel", 32, "at most this many connects in flight")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "after the traffic, wait this long at most for the outstanding echoes")
	fs.DurationVar(&c.stopLimit, "stop-timeout", 15*time.Second, "bound on each client's Disconnect and Wait")
	fs.IntVar(&c.goSlack, "goroutine-slack", 2, "goroutines allowed above the baseline after the run")
	fs.StringVar(&c.url, "url", "", "use this running peer (started with the ping flags above) instead of starting one")
	fs.StringVar(&c.out, "o", "", "regenerate the soak region of this markdown file (docs/reliability.md)")
	fs.StringVar(&c.root, "root", "", "repository root (default: found from the working directory)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eio soak [-clients 1000] [-duration 60s] [-interval 1s] [-o docs/reliability.md]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	c.transports = strings.Split(transports, ",")
	if c.clients < 1 || c.interval <= 0 || c.duration < 0 || c.rampRate < 1 || c.dialParallel < 1 || c.size < 1 {
		fmt.Fprintln(stderr, "eio soak: -clients, -interval, -ramp, -dial-parallel and -size must be positive")
		return exitUsage
	}
	r, err := runSoak(c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "eio soak: %v\n", err)
		return exitFail
	}
	fmt.Fprint(stdout, r.summary())
	if c.out != "" {
		if err := writeSoakRegion(c.out, r.markdown()); err != nil {
			fmt.Fprintf(stderr, "eio soak: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "eio soak: wrote the soak region of %s\n", c.out)
	}
	if len(r.verdict()) > 0 {
		return exitFail
	}
	return exitOK
}

// soakRun is the state shared by the clients of one run.
type soakRun struct {
	cfg      soakConfig
	log      io.Writer
	start    time.Time    // the first connect
	stopping atomic.Bool  // the soak is disconnecting the clients
	gone     atomic.Int64 // clients disconnected during the run
}

// runSoak runs the soak and returns its figures; an error means it could
// not run at all.
func runSoak(cfg soakConfig, log io.Writer) (*soakResult, error) {
	res := &soakResult{cfg: cfg, started: time.Now(), peerCPU: -1, serverOpen: -1, fdLimit: fdLimit(),
		connectErrors: map[string]int{}, sendErrors: map[string]int{}, unexpected: map[string]int{},
		closeOdd: map[string]int{}, stopErrors: map[string]int{}, serverClose: map[string]int{}}
	root, rootErr := findRoot(cfg.root)
	res.env = benchEnv(root)
	url, peerPID := cfg.url, 0
	if url == "" {
		if rootErr != nil {
			return nil, rootErr
		}
		p, err := startBenchPeer(filepath.Join(root, "conformance", "peers", "node6"),
			"--ping-interval", strconv.FormatInt(cfg.pingInterval.Milliseconds(), 10),
			"--ping-timeout", strconv.FormatInt(cfg.pingTimeout.Milliseconds(), 10))
		if err != nil {
			return nil, err
		}
		defer p.stop()
		url, peerPID = p.url, p.pid
	}
	if need := int64(cfg.clients) + 64; res.fdLimit > 0 && res.fdLimit < need {
		fmt.Fprintf(log, "eio soak: warning: the open-file limit %d is below the %d this run needs\n", res.fdLimit, need)
	}
	fmt.Fprintf(log, "eio soak: peer at %s; %d clients, %v steady\n", url, cfg.clients, cfg.duration)

	settle()
	res.goBefore, res.rssBefore = runtime.NumGoroutine(), procStatusKB("VmRSS")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.heapBefore = ms.HeapInuse
	cpu0 := processCPU(peerPID)

	run := &soakRun{cfg: cfg, log: log, start: time.Now()}
	clients := make([]*soakClient, cfg.clients)
	for i := range clients {
		clients[i] = newSoakClient(run, i)
	}
	samp := startSampler(res, url)
	stopSend := make(chan struct{})
	sendDone := make(chan struct{})
	go func() { defer close(sendDone); sendLoop(clients, cfg, stopSend, res) }()

	ramp(clients, url, cfg, res, log)
	res.rampTook = time.Since(run.start)
	fmt.Fprintf(log, "eio soak: %d of %d connected in %.1f s; steady for %v\n", res.connected, cfg.clients, res.rampTook.Seconds(), cfg.duration)
	steady := time.NewTimer(cfg.duration)
	<-steady.C
	close(stopSend)
	<-sendDone
	drain(clients, cfg.drain)
	if peerPID != 0 {
		res.peerCPU = processCPU(peerPID) - cpu0
	}
	serverView(url, res)

	fmt.Fprintf(log, "eio soak: disconnecting\n")
	run.stopping.Store(true)
	stopAll(clients, cfg, res)
	waited := time.Now()
	samp.stop()
	for _, sc := range clients {
		sc.add(res)
	}
	slices.Sort(res.latencies)
	clients = nil
	res.goAfter, res.rssAfter, res.heapAfter = afterSample(res.goBefore+cfg.goSlack, 10*time.Second)
	res.goAfterTook = time.Since(waited)
	res.took = time.Since(res.started)
	return res, nil
}

// ramp connects the clients, at most cfg.rampRate a second and
// cfg.dialParallel at a time, and returns once every attempt has ended.
func ramp(clients []*soakClient, url string, cfg soakConfig, res *soakResult, log io.Writer) {
	tick := time.NewTicker(time.Second / time.Duration(cfg.rampRate))
	defer tick.Stop()
	sem := make(chan struct{}, cfg.dialParallel)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, sc := range clients {
		if i > 0 {
			<-tick.C
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := sc.connect(ctx, url, cfg.transports)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.connectErrors[firstLine(err.Error())]++
				return
			}
			res.connected++
			if res.connected%200 == 0 {
				fmt.Fprintf(log, "eio soak: %d connected\n", res.connected)
			}
		})
	}
	wg.Wait()
}

// sendLoop sends for every connected client once per interval, spread
// over soakTick slots, until stop closes.
func sendLoop(clients []*soakClient, cfg soakConfig, stop <-chan struct{}, res *soakResult) {
	slots := max(1, int(cfg.interval/soakTick))
	tick := time.NewTicker(cfg.interval / time.Duration(slots))
	defer tick.Stop()
	errs := map[string]int{}
	defer func() { res.sendErrors = errs }()
	for t := 0; ; t++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for i := t % slots; i < len(clients); i += slots {
			sc := clients[i]
			if !sc.live.Load() {
				continue
			}
			// ErrClosed means the session ended between the check and
			// the send; that disconnect is counted by the handler.
			if err := sc.send(cfg.size); err != nil && !errors.Is(err, client.ErrClosed) {
				errs[firstLine(err.Error())]++
			}
		}
	}
}

// drain waits, at most limit, until every live client has its echoes.
func drain(clients []*soakClient, limit time.Duration) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		var out int64
		for _, sc := range clients {
			if sc.live.Load() {
				out += sc.outstanding()
			}
		}
		if out == 0 {
			return
		}
		<-tick.C
	}
}

// stopAll disconnects every client, 64 at a time, and waits for them.
func stopAll(clients []*soakClient, cfg soakConfig, res *soakResult) {
	sem := make(chan struct{}, 64)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, sc := range clients {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := sc.stop(cfg.stopLimit); err != nil {
				mu.Lock()
				res.stopErrors[firstLine(err.Error())]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// serverView asks the peer which sessions it holds and which it closed.
func serverView(url string, res *soakResult) {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get(url + "/peer/sessions")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var v struct {
		Open   []string `json:"open"`
		Closed []struct {
			Reason      string `json:"reason"`
			Description string `json:"description"`
		} `json:"closed"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&v) != nil {
		return
	}
	res.serverOpen = len(v.Open)
	for _, c := range v.Closed {
		k := c.Reason
		if c.Description != "" {
			k += ": " + c.Description
		}
		res.serverClose[k]++
	}
}
