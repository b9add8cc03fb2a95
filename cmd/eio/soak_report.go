package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// soakResult is everything one soak run measured.
type soakResult struct {
	cfg      soakConfig
	started  time.Time
	took     time.Duration
	env      map[string]string
	fdLimit  int64
	rampTook time.Duration

	connected     int
	connectErrors map[string]int // first line of the error → count

	sent, received   int64
	lost             int64 // sent and never echoed by clients that stayed connected
	lostDisconnected int64 // the same, by clients that disconnected during the run
	outOfOrder       int64
	duplicates       int64
	foreign          int64 // messages that were not the client's own echoes
	sendErrors       map[string]int

	unexpected  map[string]int // reason: error → disconnects during the run
	closeOdd    map[string]int // reason: error → Disconnect that ended otherwise than ReasonClientDisconnect
	stopErrors  map[string]int // Disconnect or Wait errors
	serverOpen  int            // sessions the peer held open just before the disconnect (-1: unknown)
	serverClose map[string]int // the peer's reason → sessions that ended during the run (it keeps the last 100)

	pings      int64
	maxPingGap time.Duration
	latencies  []time.Duration // echo round trips, sorted
	goneAt     []time.Duration // when clients disconnected during the run, from the first connect

	lagMax       time.Duration   // the latest a 20 ms ticker of this process fired
	lagOver100   int             // ticks more than 100 ms late
	serverProbes []time.Duration // answer times of GET /peer/sessions, sorted

	goBefore, goPeak, goAfter       int
	goAfterTook                     time.Duration // from Wait's return to the after sample
	rssBefore, rssPeak, rssAfter    int64         // KiB
	heapBefore, heapPeak, heapAfter uint64        // bytes (HeapInuse)
	peerCPU                         time.Duration // -1: unknown
}

// verdict lists why the run failed; none means it passed.
func (r *soakResult) verdict() []string {
	var why []string
	if r.connected < r.cfg.clients {
		why = append(why, fmt.Sprintf("%d of %d clients failed to connect", r.cfg.clients-r.connected, r.cfg.clients))
	}
	if r.connected > 0 && r.sent == 0 {
		why = append(why, "no message was sent")
	}
	if r.lost > 0 {
		why = append(why, fmt.Sprintf("%d messages lost while connected", r.lost))
	}
	if r.outOfOrder > 0 || r.duplicates > 0 || r.foreign > 0 {
		why = append(why, fmt.Sprintf("echoes out of order %d, duplicated %d, foreign %d", r.outOfOrder, r.duplicates, r.foreign))
	}
	if n := total(r.sendErrors); n > 0 {
		why = append(why, fmt.Sprintf("%d sends refused", n))
	}
	if n := total(r.unexpected); n > 0 {
		why = append(why, fmt.Sprintf("%d clients disconnected during the run", n))
	}
	if n := total(r.closeOdd) + total(r.stopErrors); n > 0 {
		why = append(why, fmt.Sprintf("%d disconnects did not end cleanly", n))
	}
	if r.goAfter > r.goBefore+r.cfg.goSlack {
		why = append(why, fmt.Sprintf("goroutines did not return to the baseline: %d after, %d before (slack %d)", r.goAfter, r.goBefore, r.cfg.goSlack))
	}
	return why
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// counted renders a count map as "n× key; …", most frequent first, or
// none.
func counted(m map[string]int, none string) string {
	if len(m) == 0 {
		return none
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d× %s", m[k], k))
	}
	return strings.Join(parts, "; ")
}

// quantile returns the q-quantile of sorted durations.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// timeline counts times into 5-second windows: "20–25 s: 3; 40–45 s: 1".
func timeline(at []time.Duration) string {
	if len(at) == 0 {
		return "—"
	}
	const w = 5 * time.Second
	n := map[int]int{}
	var keys []int
	for _, t := range at {
		k := int(t / w)
		if n[k] == 0 {
			keys = append(keys, k)
		}
		n[k]++
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d–%d s: %d", k*5, k*5+5, n[k]))
	}
	return strings.Join(parts, "; ")
}

func kib(k int64) string {
	if k < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(k)/1024)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

// reading says, when clients timed out, whether the server or this
// process was late: a server that answers a plain request late sends its
// pings late too, and a client whose timers fire late misses pings that
// came on time.
func (r *soakResult) reading() string {
	if total(r.unexpected) == 0 {
		return "no disconnect to explain"
	}
	wait := r.cfg.pingInterval + r.cfg.pingTimeout
	server, self := quantile(r.serverProbes, 1), r.lagMax
	switch {
	case server > wait && self < wait:
		return fmt.Sprintf("the server was late: it answered a plain GET as late as %s, past the %s a client waits for a ping, while this process's timers were at most %s late",
			ms(server), ms(wait), ms(self))
	case self > wait:
		return fmt.Sprintf("this process was late: its timers fired up to %s late, past the %s a client waits for a ping (the server answered within %s)",
			ms(self), ms(wait), ms(server))
	}
	return fmt.Sprintf("neither probe saw a delay past %s (server %s, this process %s): look at the disconnect reasons", ms(wait), ms(server), ms(self))
}

// rows are the figures of a run, as label and value.
func (r *soakResult) rows() [][2]string {
	c := r.cfg
	cpu := "?"
	if r.peerCPU >= 0 {
		cpu = fmt.Sprintf("%.1f s", r.peerCPU.Seconds())
	}
	serverOpen := "?"
	if r.serverOpen >= 0 {
		serverOpen = fmt.Sprint(r.serverOpen)
	}
	verdict := "pass"
	if why := r.verdict(); len(why) > 0 {
		verdict = "**FAIL**: " + strings.Join(why, "; ")
	}
	return [][2]string{
		{"clients connected", fmt.Sprintf("%d of %d (ramp %.1f s, at most %d/s); connect errors: %s",
			r.connected, c.clients, r.rampTook.Seconds(), c.rampRate, counted(r.connectErrors, "none"))},
		{"sessions open at the server before the disconnect", serverOpen},
		{"messages sent / echoed", fmt.Sprintf("%d / %d", r.sent, r.received)},
		{"messages lost while connected", fmt.Sprint(r.lost)},
		{"messages lost by clients that disconnected", fmt.Sprint(r.lostDisconnected)},
		{"echoes out of order / duplicated / foreign", fmt.Sprintf("%d / %d / %d", r.outOfOrder, r.duplicates, r.foreign)},
		{"sends refused", counted(r.sendErrors, "none")},
		{"disconnects during the run (client's reason)", counted(r.unexpected, "none")},
		{"sessions ended at the server during the run (its reason; it keeps the last 100)", counted(r.serverClose, "none")},
		{"Disconnect not ending with client disconnect", counted(mergeCounts(r.closeOdd, r.stopErrors), "none")},
		{"pings received / longest gap between two (at the handlers)", fmt.Sprintf("%d / %s", r.pings, ms(r.maxPingGap))},
		{"echo round trip p50 / p99 / max", fmt.Sprintf("%s / %s / %s", ms(quantile(r.latencies, 0.5)), ms(quantile(r.latencies, 0.99)), ms(quantile(r.latencies, 1)))},
		{"when clients disconnected (from the first connect)", timeline(r.goneAt)},
		{"server's answer to GET /peer/sessions p50 / p99 / max", fmt.Sprintf("%s / %s / %s (%d probes)",
			ms(quantile(r.serverProbes, 0.5)), ms(quantile(r.serverProbes, 0.99)), ms(quantile(r.serverProbes, 1)), len(r.serverProbes))},
		{"this process's 20 ms ticker: latest / ticks over 100 ms late", fmt.Sprintf("%s / %d", ms(r.lagMax), r.lagOver100)},
		{"reading", r.reading()},
		{"goroutines before / peak / after", fmt.Sprintf("%d / %d / %d (after: %.1f s after the last Wait returned)",
			r.goBefore, r.goPeak, r.goAfter, r.goAfterTook.Seconds())},
		{"RSS (VmRSS) before / peak / after", fmt.Sprintf("%s / %s / %s", kib(r.rssBefore), kib(r.rssPeak), kib(r.rssAfter))},
		{"Go heap in use before / peak / after", fmt.Sprintf("%s / %s / %s", mib(r.heapBefore), mib(r.heapPeak), mib(r.heapAfter))},
		{"server (Node) CPU time during the run", cpu},
		{"verdict", verdict},
	}
}

func mergeCounts(a, b map[string]int) map[string]int {
	m := map[string]int{}
	for k, v := range a {
		m[k] += v
	}
	for k, v := range b {
		m[k] += v
	}
	return m
}

// summary is the human-readable report printed at the end of a run.
func (r *soakResult) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eio soak: %d clients, %v steady, a %d-byte message every %v per client, pingInterval %v, pingTimeout %v, %s\n",
		r.cfg.clients, r.cfg.duration, r.cfg.size, r.cfg.interval, r.cfg.pingInterval, r.cfg.pingTimeout, strings.Join(r.cfg.transports, ","))
	for _, row := range r.rows() {
		fmt.Fprintf(&b, "  %-60s %s\n", row[0]+":", strings.ReplaceAll(row[1], "**", ""))
	}
	return b.String()
}

// markdown is the soak section of docs/reliability.md.
func (r *soakResult) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	c, e := r.cfg, r.env
	w("Measured by `make soak` (`eio soak -clients %d -duration %v -interval %v`) on %s, in %s.\n",
		c.clients, c.duration, c.interval, r.started.UTC().Format("2006-01-02 15:04 MST"), r.took.Round(time.Second))
	w("%d eio clients (transports %s) against one Node %s, engine.io %s echo server (`conformance/peers/node6`)\n",
		c.clients, strings.Join(c.transports, ","), e["node"], e["engine.io"])
	w("on 127.0.0.1 with pingInterval %v and pingTimeout %v; every client sends a %d-byte text message every %v,\n",
		c.pingInterval, c.pingTimeout, c.size, c.interval)
	w("which the server echoes, and checks that the echoes come back complete and in order. The clients connect at\n")
	w("most %d per second, traffic starts as each connects, the %v count from the last connect; then the clients\n", c.rampRate, c.duration)
	w("stop sending, wait for the outstanding echoes, and all Disconnect. Goroutines and RSS are this process's\n")
	w("(the clients only; the server is another process), sampled every %v; \"after\" is taken once every\n", soakSampleEvery)
	w("Wait returned and a GC ran.\n\n")
	w("Machine: %s processors (%s), Linux %s, %s, open-file limit %d; eio commit %s.\n\n",
		e["nproc"], e["cpu"], e["kernel"], e["go"], r.fdLimit, e["commit"])
	w("| figure | value |\n|---|---|\n")
	for _, row := range r.rows() {
		w("| %s | %s |\n", row[0], strings.ReplaceAll(row[1], "|", "\\|"))
	}
	w("\n")
	b.WriteString(notes("soak", "(what the figures show: to be written)"))
	return b.String()
}

// The soak section's markers in docs/reliability.md.
const (
	soakBegin = "<!-- soak:begin -->"
	soakEnd   = "<!-- soak:end -->"
)

// replaceRegion returns doc with the text between begin and end replaced
// by body; the markers and everything outside them stay as they are.
func replaceRegion(doc, begin, end, body string) (string, error) {
	i := strings.Index(doc, begin)
	if i < 0 {
		return "", fmt.Errorf("marker %s not found", begin)
	}
	i += len(begin)
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return "", fmt.Errorf("marker %s not found after %s", end, begin)
	}
	if strings.Contains(doc[i+j+len(end):], begin) {
		return "", errors.New("marker " + begin + " appears twice")
	}
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	return doc[:i] + "\n" + body + doc[i+j:], nil
}

// writeSoakRegion regenerates the soak region of the document at path,
// keeping the hand-written notes block of the region it replaces (see
// keepNotes).
func writeSoakRegion(path, body string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := replaceRegion(string(old), soakBegin, soakEnd, keepNotes(body, string(old)))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
