package main

import (
	"fmt"
	"math"
)

// benchTarget is one of issue 8's targets, judged on this run.
type benchTarget struct {
	text     string
	measured string
	met      string // "yes", "no" or "unknown"
}

func verdict(ok, known bool) string {
	switch {
	case !known:
		return "unknown"
	case ok:
		return "yes"
	}
	return "no"
}

func nan(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

// targets judges issue 8's targets from the medians of this run.
func (r *benchRun) targets() []benchTarget {
	v := r.value
	var ts []benchTarget

	e, f := v("rtt/median", "eio"), v("rtt/median", "floor")
	ts = append(ts, benchTarget{"Round trip ≤ 1.1× the floor",
		fmt.Sprintf("%s vs %s: %.2f×", fmtDur(e), fmtDur(f), e/f), verdict(e <= 1.1*f, !nan(e, f))})

	e, f = v("pipe-text32/cpu", "eio"), v("pipe-text32/cpu", "floor")
	ts = append(ts, benchTarget{"Client CPU per message under pipelined load (32 B) ≤ 0.8× the floor",
		fmt.Sprintf("%s vs %s: %.2f×", fmtDur(e), fmtDur(f), e/f), verdict(e <= 0.8*f, !nan(e, f))})
	for _, k := range [][2]string{{"pipe-text1k/cpu", "1 KiB text"}, {"pipe-binary1k/cpu", "1 KiB binary"}} {
		e, f := v(k[0], "eio"), v(k[0], "floor")
		ts = append(ts, benchTarget{"… the same for " + k[1],
			fmt.Sprintf("%s vs %s: %.2f×", fmtDur(e), fmtDur(f), e/f), verdict(e <= 0.8*f, !nan(e, f))})
	}

	e = v("pipe-text32/cpu", "eio")
	below, known, detail := true, !nan(e), ""
	for _, c := range r.clients {
		if c.name == "eio" || c.name == "floor" {
			continue
		}
		p := v("pipe-text32/cpu", c.name)
		if nan(p) {
			detail += fmt.Sprintf("; %s n/a", c.name)
			continue
		}
		detail += fmt.Sprintf("; %s %s", c.name, fmtDur(p))
		below = below && e < p
	}
	ts = append(ts, benchTarget{"… and below every peer client's in the same run",
		fmt.Sprintf("eio %s%s", fmtDur(e), detail), verdict(below, known)})

	e = v("pipe-text32/allocs", "eio")
	e2, e3 := v("pipe-text1k/allocs", "eio"), v("pipe-binary1k/allocs", "eio")
	ts = append(ts, benchTarget{"Steady-state allocations ≤ 2 per echoed message",
		fmt.Sprintf("%.1f (32 B text), %.1f (1 KiB text), %.1f (1 KiB binary)", e, e2, e3), verdict(e <= 2 && e2 <= 2 && e3 <= 2, !nan(e, e2, e3))})

	e, f = v("pipe-text32/hwm", "eio"), v("pipe-text32/hwm", "floor")
	ts = append(ts, benchTarget{"Peak RSS of the pipelined run ≤ 1.5× the floor's",
		fmt.Sprintf("%.1f MB vs %.1f MB: %.2f×", e/1024, f/1024, e/f), verdict(e <= 1.5*f, !nan(e, f))})

	e, j := v("poll-text32/rate", "eio"), v("poll-text32/rate", "js")
	ts = append(ts, benchTarget{"Polling-only throughput ≥ 2× the JS client's in the same run",
		fmt.Sprintf("%s vs %s: %.2f×", fmtRate(e), fmtRate(j), e/j), verdict(e >= 2*j, !nan(e, j))})

	e = v("connect-upgrade", "eio")
	ts = append(ts, benchTarget{"A polling session has upgraded in ≤ 5 ms median, with no fixed waits",
		fmtDur(e), verdict(e <= 5e6, !nan(e))})

	e, f = v("idle/rss", "eio"), v("idle/rss", "floor")
	ts = append(ts, benchTarget{"Idle connections ≤ 1.2× the floor's memory each",
		fmt.Sprintf("%.1f KiB vs %.1f KiB: %.2f×", e/1024, f/1024, e/f), verdict(e <= 1.2*f, !nan(e, f))})

	e = v("idle/goroutines", "eio") / 1000
	ts = append(ts, benchTarget{"… and at most 3 goroutines each", fmt.Sprintf("%.2f", e), verdict(e <= 3, !nan(e))})
	return ts
}

func (r *benchRun) writeTargets(w func(string, ...any)) {
	w("## Targets of issue 8 (eio, this run)\n\n| target | measured | met |\n|---|---|---|\n")
	met, all := 0, 0
	for _, t := range r.targets() {
		w("| %s | %s | %s |\n", t.text, t.measured, t.met)
		all++
		if t.met == "yes" {
			met++
		}
	}
	w("\n%d of %d met in this run.\n\n", met, all)
	w("%s", notes("targets", "(why the unmet targets are not met: to be written)"))
}
