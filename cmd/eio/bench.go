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
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// eio bench measures eio against the floor (bench_floor.go), the
// zishang520 Go client (conformance/peers/zclient) and the reference
// JavaScript client (bench_jsclient.go), all against one Node engine.io 6 echo
// server it starts itself, and writes docs/performance.md (bench_report.go).
// Every measurement runs in a worker process of its own; clients take turns
// within each round, in an order that rotates from round to round, so
// that a noisy neighbour costs every client alike.

// benchCase is one measurement every client makes in every round.
type benchCase struct {
	id       string
	scenario string
	mode     string
	size     int
	binary   bool
	n        int
	warmup   int
	window   int
	maxTime  time.Duration
}

func (c benchCase) args() []string {
	a := []string{"-scenario", c.scenario, "-mode", c.mode, "-n", strconv.Itoa(c.n), "-warmup", strconv.Itoa(c.warmup),
		"-size", strconv.Itoa(c.size), "-window", strconv.Itoa(c.window), "-max-time", c.maxTime.String()}
	if c.binary {
		a = append(a, "-binary")
	}
	return a
}

// benchCases returns the measurements of one round.
func benchCases(quick bool) []benchCase {
	rtt, msgs, poll, conns, idle := 2000, 100_000, 50_000, 15, 1000
	pipeTime, pollTime := 30*time.Second, 3*time.Second
	if quick {
		rtt, msgs, poll, conns, idle = 300, 10_000, 5_000, 5, 200
		pipeTime, pollTime = 10*time.Second, 2*time.Second
	}
	return []benchCase{
		{id: "rtt", scenario: scenRTT, mode: modeWebSocket, size: 32, n: rtt, warmup: rtt / 10},
		{id: "pipe-text32", scenario: scenPipe, mode: modeWebSocket, size: 32, n: msgs, warmup: msgs / 20, window: 1000, maxTime: pipeTime},
		{id: "pipe-text1k", scenario: scenPipe, mode: modeWebSocket, size: 1024, n: msgs, warmup: msgs / 20, window: 1000, maxTime: pipeTime},
		{id: "pipe-binary1k", scenario: scenPipe, mode: modeWebSocket, size: 1024, binary: true, n: msgs, warmup: msgs / 20, window: 1000, maxTime: pipeTime},
		{id: "poll-text32", scenario: scenPipe, mode: modePolling, size: 32, n: poll, warmup: 1000, window: 1000, maxTime: pollTime},
		{id: "connect-websocket", scenario: scenConnect, mode: modeWebSocket, n: conns, warmup: 2},
		{id: "connect-polling", scenario: scenConnect, mode: modePolling, n: conns, warmup: 2},
		{id: "connect-upgrade", scenario: scenConnect, mode: modeUpgrade, n: conns, warmup: 2},
		{id: "idle", scenario: scenIdle, mode: modeWebSocket, n: idle},
	}
}

// benchClientSpec is a client under test: how to start its worker.
type benchClientSpec struct {
	name    string   // column key
	label   string   // column heading
	argv    []string // worker command before the case's flags
	na      string   // why the client could not run, if it cannot
	version string
}

type benchFlags struct {
	rounds    int
	out       string
	quick     bool
	profDir   string
	goBench   string
	root      string
	clients   string
	workerMax time.Duration
}

func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-worker" || strings.HasPrefix(args[0], "-worker=")) {
		return workerCmd(args, stdout, stderr)
	}
	f := benchFlags{}
	fs := flag.NewFlagSet("eio bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&f.rounds, "rounds", 5, "rounds; each metric is the median over rounds")
	fs.StringVar(&f.out, "o", "docs/performance.md", "report to write (\"-\": stdout)")
	fs.BoolVar(&f.quick, "quick", false, "fewer messages and connections, for a quick look")
	fs.StringVar(&f.profDir, "cpuprofile", "", "also profile eio's and the floor's pipelined run (CPU and allocations) into this directory")
	fs.StringVar(&f.goBench, "gobench", "", "output of `go test -bench` to quote in the report")
	fs.StringVar(&f.root, "root", "", "repository root (default: found from the working directory)")
	fs.StringVar(&f.clients, "clients", "floor,eio,zishang520,js", "clients to measure")
	fs.DurationVar(&f.workerMax, "worker-timeout", 3*time.Minute, "kill a worker after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eio bench [-rounds 5] [-o docs/performance.md] [-quick] [-cpuprofile DIR] [-gobench FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := runBench(f, stderr); err != nil {
		fmt.Fprintf(stderr, "eio bench: %v\n", err)
		return exitFail
	}
	return exitOK
}

// benchRun is everything measured in one invocation.
type benchRun struct {
	flags   benchFlags
	started time.Time
	took    time.Duration
	root    string
	cases   []benchCase
	clients []benchClientSpec
	results map[string]map[string][]benchResult // case id → client → rounds
	goBench string
	profile *profileSummary
	env     map[string]string
}

func runBench(f benchFlags, log io.Writer) error {
	root, err := findRoot(f.root)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "eio-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r := &benchRun{flags: f, started: time.Now(), root: root, cases: benchCases(f.quick),
		results: map[string]map[string][]benchResult{}, env: benchEnv(root)}
	for _, name := range strings.Split(f.clients, ",") {
		r.clients = append(r.clients, prepareClient(strings.TrimSpace(name), self, root, tmp, log))
	}
	if f.goBench != "" {
		b, err := os.ReadFile(f.goBench)
		if err != nil {
			return err
		}
		r.goBench = string(b)
	}
	peer, err := startBenchPeer(filepath.Join(root, "conformance", "peers", "node6"))
	if err != nil {
		return err
	}
	defer peer.stop()
	fmt.Fprintf(log, "eio bench: node peer at %s; %d rounds of %d cases × %d clients\n", peer.url, f.rounds, len(r.cases), len(r.clients))
	for round := range f.rounds {
		for ci, c := range r.cases {
			for k := range r.clients {
				spec := r.clients[(k+round+ci)%len(r.clients)]
				if spec.na != "" {
					continue
				}
				res := runBenchWorker(peer, spec, c, f.workerMax, nil)
				fmt.Fprintf(log, "round %d %-18s %-11s %s\n", round+1, c.id, spec.name, res.brief())
				if res.Version != "" && spec.version == "" {
					r.clients[(k+round+ci)%len(r.clients)].version = res.Version
				}
				if r.results[c.id] == nil {
					r.results[c.id] = map[string][]benchResult{}
				}
				r.results[c.id][spec.name] = append(r.results[c.id][spec.name], res)
			}
		}
	}
	if f.profDir != "" {
		r.profile, err = profileRun(peer, r.clients, r.cases[1], f, log)
		if err != nil {
			fmt.Fprintf(log, "eio bench: profiles: %v\n", err)
		}
	}
	r.took = time.Since(r.started)
	report := r.report()
	if f.out == "-" {
		_, err = io.WriteString(os.Stdout, report)
		return err
	}
	return writeReport(f.out, report)
}

// prepareClient sets up a client's worker command, or says why it cannot
// run.
func prepareClient(name, self, root, tmp string, log io.Writer) benchClientSpec {
	switch name {
	case "eio":
		return benchClientSpec{name: name, label: "eio", argv: []string{self, "bench", "-worker", "eio"}}
	case "floor":
		return benchClientSpec{name: name, label: "floor (coder/websocket, by hand)", argv: []string{self, "bench", "-worker", "floor"}}
	case "zishang520":
		spec := benchClientSpec{name: name, label: "zishang520 engine.io client (Go)"}
		bin := filepath.Join(tmp, "zclient")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = filepath.Join(root, "conformance", "peers", "zclient")
		if out, err := cmd.CombinedOutput(); err != nil {
			spec.na = fmt.Sprintf("`go build` of conformance/peers/zclient failed: %v: %s", err, firstLine(string(out)))
			fmt.Fprintf(log, "eio bench: zishang520 client n/a: %s\n", spec.na)
			return spec
		}
		spec.argv = []string{bin}
		return spec
	case "js":
		spec := benchClientSpec{name: name, label: "engine.io-client (JS, Node)"}
		mods := filepath.Join(root, "conformance", "peers", "jsclient", "node_modules")
		spec.version = npmVersion(mods, "engine.io-client")
		script := filepath.Join(tmp, "jsworker.js")
		node, err := exec.LookPath("node")
		switch {
		case err != nil:
			spec.na = "node not found"
		case spec.version == "":
			spec.na = "conformance/peers/jsclient is not installed (make peers)"
		default:
			if err := os.WriteFile(script, []byte(jsWorker), 0o644); err != nil {
				spec.na = err.Error()
			}
		}
		if spec.na != "" {
			fmt.Fprintf(log, "eio bench: js client n/a: %s\n", spec.na)
			return spec
		}
		spec.argv = []string{node, "--expose-gc", script, "-modules", mods}
		return spec
	}
	return benchClientSpec{name: name, label: name, na: "unknown client"}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// runBenchWorker runs one worker against the peer and returns its result,
// with the server's CPU time during the run.
func runBenchWorker(peer *benchPeer, spec benchClientSpec, c benchCase, limit time.Duration, extra []string) benchResult {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	argv := append(append(append([]string(nil), spec.argv...), c.args()...), "-url", peer.url, "-timeout", (limit - 10*time.Second).String())
	argv = append(argv, extra...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	setChildAttrs(cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	cpu0 := peer.cpu()
	runErr := cmd.Run()
	cpu1 := peer.cpu()
	res := benchResult{Client: spec.name, Scenario: c.scenario, Mode: c.mode, Size: c.size, Binary: c.binary}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		msg := firstLine(errb.String())
		if runErr != nil {
			msg = runErr.Error() + ": " + msg
		}
		res.Error = "no result: " + msg
	}
	res.Client = spec.name
	if cpu0 >= 0 && cpu1 >= 0 {
		res.ServerCPU = int64(cpu1 - cpu0)
	}
	return res
}

// brief is a result on one log line.
func (r benchResult) brief() string {
	if r.Error != "" {
		return "error: " + r.Error
	}
	switch r.Scenario {
	case scenRTT, scenConnect:
		return fmt.Sprintf("median %v p99 %v", time.Duration(r.MedianNS), time.Duration(r.P99NS))
	case scenPipe:
		s := float64(r.ElapsedNS) / 1e9
		return fmt.Sprintf("%d msgs %.0f msg/s cpu %.2f µs/msg allocs %.1f/msg hwm %.1f MB",
			r.Messages, float64(r.Messages)/s, float64(r.UserNS+r.SysNS)/1e3/float64(r.Messages),
			float64(r.Mallocs)/float64(r.Messages), float64(r.HWMKB)/1024)
	case scenIdle:
		return fmt.Sprintf("%.1f KiB and %.2f goroutines per connection", float64(r.ConnRSS)/1024, float64(r.ConnGo)/1000)
	}
	return ""
}

// benchEnv describes the machine and the versions.
func benchEnv(root string) map[string]string {
	env := map[string]string{
		"go":     goVersion(),
		"cpu":    cpuModel(),
		"nproc":  strconv.Itoa(numCPU()),
		"kernel": kernelRelease(),
		"eio":    version(),
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		env["node"] = strings.TrimSpace(string(out))
	}
	env["engine.io"] = npmVersion(filepath.Join(root, "conformance", "peers", "node6", "node_modules"), "engine.io")
	if out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		env["commit"] = strings.TrimSpace(string(out))
	}
	return env
}

// writeReport writes the report, keeping the hand-written notes of the
// file it replaces (see keepNotes).
func writeReport(path, report string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(keepNotes(report, string(old))), 0o644)
}
