package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// profileSummary is what `eio bench -cpuprofile DIR` adds to the report:
// eio's and the floor's pipelined 32 B run profiled, the CPU split by the
// parts of the client, and pprof's top lists.
type profileSummary struct {
	dir      string
	eio      benchResult
	floor    benchResult
	areas    []profileArea
	eioCPU   string // pprof -top of eio's CPU profile
	eioAlloc string // pprof -top of eio's allocations (objects)
	floorCPU string // pprof -top of the floor's CPU profile
}

// profileArea is a share of the CPU profile: the samples under one
// function (cumulative), for eio and the floor.
type profileArea struct {
	label      string
	fn         string // function as pprof prints it
	eio, floor float64
}

// profileAreas are the functions whose cumulative share the report shows.
var profileAreas = []profileArea{
	{label: "machine steps (Machine.Step and effects, on every goroutine)", fn: "github.com/eio-go/eio/client.(*session).step"},
	{label: "  of which Machine.Step", fn: "github.com/eio-go/eio/fsm.(*Machine).Step"},
	{label: "reader (transport Read, decode, step)", fn: "github.com/eio-go/eio/client.(*session).readPump"},
	{label: "writes (transport Write, encode, step)", fn: "github.com/eio-go/eio/client.(*session).writes"},
	{label: "dispatcher (handler calls)", fn: "github.com/eio-go/eio/client.(*dispatcher).run"},
	{label: "Send (copy, step)", fn: "github.com/eio-go/eio/client.(*session).sendCopy"},
	{label: "write system calls", fn: "internal/poll.(*FD).Write"},
	{label: "read system calls", fn: "internal/poll.(*FD).Read"},
	{label: "goroutine scheduling (findRunnable)", fn: "runtime.findRunnable"},
	{label: "goroutine wake-ups (ready)", fn: "runtime.ready"},
	{label: "memory allocation (mallocgc)", fn: "runtime.mallocgc"},
	{label: "garbage collection (background mark)", fn: "runtime.gcBgMarkWorker"},
}

// profileRun profiles eio's and the floor's run of case c.
func profileRun(peer *benchPeer, clients []benchClientSpec, c benchCase, f benchFlags, log io.Writer) (*profileSummary, error) {
	dir, err := filepath.Abs(f.profDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var eioSpec, floorSpec benchClientSpec
	for _, s := range clients {
		switch s.name {
		case "eio":
			eioSpec = s
		case "floor":
			floorSpec = s
		}
	}
	if eioSpec.argv == nil || floorSpec.argv == nil {
		return nil, fmt.Errorf("profiles need the eio and floor clients")
	}
	p := &profileSummary{dir: dir}
	c.n *= 2 // more samples
	c.id += "-x2"
	eioCPU, eioMem := filepath.Join(dir, "eio-"+c.id+".cpu.pprof"), filepath.Join(dir, "eio-"+c.id+".alloc.pprof")
	floorCPU := filepath.Join(dir, "floor-"+c.id+".cpu.pprof")
	p.eio = runBenchWorker(peer, eioSpec, c, f.workerMax, []string{"-cpuprofile", eioCPU, "-memprofile", eioMem, "-count-writes"})
	fmt.Fprintf(log, "profile %-18s eio         %s\n", c.id, p.eio.brief())
	p.floor = runBenchWorker(peer, floorSpec, c, f.workerMax, []string{"-cpuprofile", floorCPU})
	fmt.Fprintf(log, "profile %-18s floor       %s\n", c.id, p.floor.brief())
	if p.eio.Error != "" || p.floor.Error != "" {
		return nil, fmt.Errorf("profiled runs failed: %s %s", p.eio.Error, p.floor.Error)
	}
	if p.eioCPU, err = pprofTop(eioCPU, "-nodecount=25"); err != nil {
		return nil, err
	}
	if p.eioAlloc, err = pprofTop(eioMem, "-sample_index=alloc_objects", "-nodecount=20"); err != nil {
		return nil, err
	}
	if p.floorCPU, err = pprofTop(floorCPU, "-nodecount=15"); err != nil {
		return nil, err
	}
	eioCum, err := pprofCum(eioCPU)
	if err != nil {
		return nil, err
	}
	floorCum, err := pprofCum(floorCPU)
	if err != nil {
		return nil, err
	}
	for _, a := range profileAreas {
		a.eio, a.floor = eioCum[a.fn], floorCum[a.fn]
		p.areas = append(p.areas, a)
	}
	return p, nil
}

// pprofTop runs `go tool pprof -top` on a profile.
func pprofTop(path string, args ...string) (string, error) {
	cmd := exec.Command("go", append(append([]string{"tool", "pprof", "-top"}, args...), path)...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool pprof %s: %w", path, err)
	}
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Time:") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.TrimSpace(strings.Join(keep, "\n")), nil
}

// pprofCum returns each function's cumulative share (percent) of a CPU
// profile.
func pprofCum(path string) (map[string]float64, error) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=100000", path).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof %s: %w", path, err)
	}
	cum := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		// flat flat% sum% cum cum% name
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err != nil {
			continue
		}
		cum[strings.Join(f[5:], " ")] = v
	}
	return cum, nil
}

func (p *profileSummary) write(w func(string, ...any)) {
	perMsg := func(r benchResult) float64 { v, _ := cpuPerMsg(r); return v }
	ep, fp := perMsg(p.eio), perMsg(p.floor)
	w("`eio bench -cpuprofile %s` profiled one more pipelined 32 B text run of eio and of the floor\n", filepath.Base(p.dir))
	w("(CPU, and for eio every allocation sampled at 4 KiB). eio: %s; floor: %s.\n", p.eio.brief(), p.floor.brief())
	w("The profiles are in that directory; `go tool pprof -http : FILE` shows them.\n\n")
	if p.eio.TransportWrites > 0 {
		w("Batching: in the measured part eio's machine handed the WebSocket transport %d Write calls for %d packets,\n",
			p.eio.TransportWrites, p.eio.TransportPackets)
		w("%.2f packets per call; the transport made %.2f write system calls per message (%d in all) and %.2f read system calls.\n\n",
			float64(p.eio.TransportPackets)/float64(p.eio.TransportWrites), float64(p.eio.Writes)/float64(p.eio.Messages), p.eio.Writes,
			float64(p.eio.Reads)/float64(p.eio.Messages))
	}
	w("Where the client's CPU goes (cumulative share of the CPU samples, and that share of the CPU per message):\n\n")
	w("| part | eio | eio per message | floor | floor per message |\n|---|---|---|---|---|\n")
	for _, a := range p.areas {
		w("| %s | %.1f %% | %s | %s | %s |\n", strings.TrimSpace(a.label), a.eio, fmtDur(a.eio/100*ep), pct(a.floor), durOrDash(a.floor/100*fp, a.floor))
	}
	w("\nThe shares overlap (system calls happen inside the pumps, allocation everywhere) and do not add up to 100 %%.\n\n")
	w("<details><summary>pprof -top: eio, CPU</summary>\n\n```text\n%s\n```\n</details>\n\n", p.eioCPU)
	w("<details><summary>pprof -top: eio, allocated objects</summary>\n\n```text\n%s\n```\n</details>\n\n", p.eioAlloc)
	w("<details><summary>pprof -top: floor, CPU</summary>\n\n```text\n%s\n```\n</details>\n\n", p.floorCPU)
}

func pct(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f %%", v)
}

func durOrDash(ns, share float64) string {
	if share == 0 {
		return "—"
	}
	return fmtDur(ns)
}
