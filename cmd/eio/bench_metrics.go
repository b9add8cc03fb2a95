package main

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// metric is one row of the report: a number taken from each run of one
// case, and the median over rounds.
type metric struct {
	key   string
	label string
	cases string // case id
	value func(r benchResult) (float64, bool)
	unit  func(v float64) string
}

func goVersion() string { return runtime.Version() }
func numCPU() int       { return runtime.NumCPU() }

func perMsg(n int64, r benchResult) (float64, bool) {
	if r.Messages <= 0 || n < 0 {
		return 0, false
	}
	return float64(n) / float64(r.Messages), true
}

func cpuPerMsg(r benchResult) (float64, bool) {
	if r.UserNS+r.SysNS <= 0 {
		return 0, false
	}
	return perMsg(r.UserNS+r.SysNS, r)
}

func kernelShare(r benchResult) (float64, bool) {
	if r.UserNS+r.SysNS <= 0 {
		return 0, false
	}
	return 100 * float64(r.SysNS) / float64(r.UserNS+r.SysNS), true
}

func rate(r benchResult) (float64, bool) {
	if r.ElapsedNS <= 0 || r.Messages < 0 {
		return 0, false
	}
	return float64(r.Messages) / (float64(r.ElapsedNS) / 1e9), true
}

func positive(v int64) (float64, bool) { return float64(v), v > 0 }
func known(v int64) (float64, bool)    { return float64(v), v >= 0 }

func fmtDur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", ns/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case d >= 10*time.Microsecond:
		return fmt.Sprintf("%.0f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
}

func fmtRate(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1fk msg/s", v/1000)
	}
	return fmt.Sprintf("%.0f msg/s", v)
}

func fmtNum(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func pipeMetrics(id, what string) []metric {
	return []metric{
		{key: id + "/rate", label: what + ": throughput", cases: id, value: rate, unit: fmtRate},
		{key: id + "/cpu", label: what + ": client CPU per message", cases: id, value: cpuPerMsg, unit: fmtDur},
		{key: id + "/kernel", label: what + ": share of that CPU in the kernel", cases: id, value: kernelShare, unit: func(v float64) string { return fmt.Sprintf("%.0f %%", v) }},
		{key: id + "/allocs", label: what + ": allocations per message", cases: id, value: func(r benchResult) (float64, bool) {
			return perMsg(r.Mallocs, r)
		}, unit: fmtNum},
		{key: id + "/syscalls", label: what + ": read + write system calls per message", cases: id, value: func(r benchResult) (float64, bool) {
			if r.Reads < 0 {
				return 0, false
			}
			return perMsg(r.Reads+r.Writes, r)
		}, unit: fmtNum},
		{key: id + "/writes", label: what + ": write system calls per message", cases: id, value: func(r benchResult) (float64, bool) {
			return perMsg(r.Writes, r)
		}, unit: fmtNum},
		{key: id + "/hwm", label: what + ": peak RSS of the client process", cases: id, value: func(r benchResult) (float64, bool) {
			return positive(r.HWMKB)
		}, unit: func(v float64) string { return fmt.Sprintf("%.1f MB", v/1024) }},
		{key: id + "/server", label: what + ": server CPU per message", cases: id, value: func(r benchResult) (float64, bool) {
			return perMsg(r.ServerCPU, r)
		}, unit: fmtDur},
	}
}

// allMetrics lists the report's rows in order.
func allMetrics() []metric {
	ms := []metric{
		{key: "rtt/median", label: "echo round trip, 32 B text: median", cases: "rtt", value: func(r benchResult) (float64, bool) { return positive(r.MedianNS) }, unit: fmtDur},
		{key: "rtt/p99", label: "echo round trip, 32 B text: p99", cases: "rtt", value: func(r benchResult) (float64, bool) { return positive(r.P99NS) }, unit: fmtDur},
	}
	ms = append(ms, pipeMetrics("pipe-text32", "pipelined 32 B text")...)
	for _, m := range pipeMetrics("pipe-text1k", "pipelined 1 KiB text") {
		if m.key != "pipe-text1k/kernel" && m.key != "pipe-text1k/syscalls" {
			ms = append(ms, m)
		}
	}
	for _, m := range pipeMetrics("pipe-binary1k", "pipelined 1 KiB binary") {
		if m.key != "pipe-binary1k/kernel" && m.key != "pipe-binary1k/syscalls" {
			ms = append(ms, m)
		}
	}
	for _, m := range pipeMetrics("poll-text32", "polling only, 32 B text") {
		switch m.key {
		case "poll-text32/rate", "poll-text32/cpu", "poll-text32/allocs", "poll-text32/server":
			ms = append(ms, m)
		}
	}
	med := func(r benchResult) (float64, bool) { return positive(r.MedianNS) }
	ms = append(ms,
		metric{key: "connect-websocket", label: "connect, WebSocket: median", cases: "connect-websocket", value: med, unit: fmtDur},
		metric{key: "connect-polling", label: "connect, polling: median", cases: "connect-polling", value: med, unit: fmtDur},
		metric{key: "connect-upgrade", label: "connect, polling until upgraded: median", cases: "connect-upgrade", value: med, unit: fmtDur},
		metric{key: "idle/rss", label: "idle WebSocket connections: RSS per connection", cases: "idle", value: func(r benchResult) (float64, bool) {
			return float64(r.ConnRSS), r.ConnRSS != 0
		}, unit: func(v float64) string { return fmt.Sprintf("%.1f KiB", v/1024) }},
		metric{key: "idle/goroutines", label: "idle WebSocket connections: goroutines per connection", cases: "idle", value: func(r benchResult) (float64, bool) {
			return known(r.ConnGo)
		}, unit: func(v float64) string { return fmt.Sprintf("%.2f", v/1000) }},
	)
	return ms
}

// median returns the median of a metric over the rounds of one client,
// skipping failed runs, and how many rounds contributed.
func (r *benchRun) median(m metric, client string) (float64, int) {
	var vs []float64
	for _, res := range r.results[m.cases][client] {
		if res.Error != "" {
			continue
		}
		if v, ok := m.value(res); ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return math.NaN(), 0
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], len(vs)
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, len(vs)
}

// metricByKey returns the metric with key.
func metricByKey(key string) metric {
	for _, m := range allMetrics() {
		if m.key == key {
			return m
		}
	}
	panic("eio bench: no metric " + key)
}

// value returns the median of the metric with key for client, NaN when
// unknown.
func (r *benchRun) value(key, client string) float64 {
	v, _ := r.median(metricByKey(key), client)
	return v
}

// errorsOf lists the distinct errors of a client's runs.
func (r *benchRun) errorsOf(client string) []string {
	var errs []string
	for _, c := range r.cases {
		for _, res := range r.results[c.id][client] {
			if res.Error != "" {
				e := c.id + ": " + firstLine(res.Error)
				if !slices.Contains(errs, e) {
					errs = append(errs, e)
				}
			}
		}
	}
	return errs
}
