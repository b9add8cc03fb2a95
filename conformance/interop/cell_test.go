package interop

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// strict makes known failures fail the run (INTEROP_STRICT=1).
var strict = os.Getenv("INTEROP_STRICT") == "1"

// cellT is the testing.TB a cell body runs with. It records failures
// instead of failing the test, so that a known client bug can be reported
// without failing the run; everything else goes to the real test.
type cellT struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	messages []string
	notes    []string
	skip     string // set by Skip: the cell is impossible
}

func (c *cellT) Helper() {}

func (c *cellT) record(msg string) {
	c.mu.Lock()
	c.failed = true
	c.messages = append(c.messages, msg)
	c.mu.Unlock()
	c.TB.Log("cell failure: " + msg)
}

func (c *cellT) Error(args ...any)                 { c.record(fmt.Sprint(args...)) }
func (c *cellT) Errorf(format string, args ...any) { c.record(fmt.Sprintf(format, args...)) }
func (c *cellT) Fail() {
	c.mu.Lock()
	c.failed = true
	c.mu.Unlock()
}
func (c *cellT) FailNow()          { c.Fail(); runtime.Goexit() }
func (c *cellT) Fatal(args ...any) { c.record(fmt.Sprint(args...)); runtime.Goexit() }
func (c *cellT) Fatalf(format string, args ...any) {
	c.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (c *cellT) Skip(args ...any)                 { c.impossible(fmt.Sprint(args...)) }
func (c *cellT) Skipf(format string, args ...any) { c.impossible(fmt.Sprintf(format, args...)) }
func (c *cellT) SkipNow()                         { c.impossible("skipped") }

// impossible ends the cell as impossible, for the reason why.
func (c *cellT) impossible(why string) {
	c.mu.Lock()
	c.skip = why
	c.mu.Unlock()
	runtime.Goexit()
}

func (c *cellT) Failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

// Note adds evidence to the cell's report line.
func (c *cellT) Note(format string, args ...any) {
	c.mu.Lock()
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
	c.mu.Unlock()
	c.TB.Logf("note: "+format, args...)
}

// known describes why a cell fails: a client bug (Bug), or a server
// deviation (Deviation, an ID of deviationList) the client cannot make up
// for. Flaky marks failures that show only when a race goes one way: the
// cell may pass.
type known struct {
	Bug       string
	Deviation string
	Flaky     bool
}

func (k *known) String() string {
	if k.Deviation != "" {
		return "server deviation " + k.Deviation + ": " + deviationSummary(k.Deviation)
	}
	return k.Bug
}

// runCell runs body as one cell of the matrix in subtest
// "scenario/mode", records its outcome in the report and fails t only for
// unexpected outcomes.
func runCell(t *testing.T, c Cell, kb *known, body func(ct *cellT)) {
	t.Helper()
	t.Run(c.Scenario+"/"+c.Mode, func(t *testing.T) {
		start := time.Now()
		ct := execute(t, body)
		finish(t, c, kb, ct, time.Since(start))
	})
}

// execute runs body in its own goroutine, so that FailNow and Skip end
// only the cell, and returns once it has ended.
func execute(t testing.TB, body func(ct *cellT)) *cellT {
	ct := &cellT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(ct)
	}()
	<-done
	return ct
}

// finish turns what a cell body recorded into its outcome.
func finish(t *testing.T, c Cell, kb *known, ct *cellT, took time.Duration) {
	t.Helper()
	c.Seconds = took.Seconds()
	c.Note = strings.Join(ct.notes, "; ")
	switch {
	case ct.skip != "" && !ct.failed:
		c.Outcome = Impossible
		c.Note = ct.skip
	case !ct.failed:
		c.Outcome = Pass
		if kb != nil && !kb.Flaky {
			t.Errorf("cell passes but is listed as a known failure (%s): remove it from knownFailures", kb)
		}
	case kb != nil && kb.Deviation != "":
		c.Outcome = ServerDeviation
		c.Deviation = kb.Deviation
		c.Failure = strings.Join(ct.messages, "\n")
		t.Logf("fails through %s", kb)
	case kb != nil:
		c.Outcome = KnownFailure
		c.Bug = kb.Bug
		c.Failure = strings.Join(ct.messages, "\n")
		if strict {
			t.Errorf("known client failure (INTEROP_STRICT=1): %s\n%s", kb.Bug, c.Failure)
		} else {
			t.Logf("known client failure: %s", kb.Bug)
		}
	default:
		c.Outcome = Fail
		c.Failure = strings.Join(ct.messages, "\n")
		t.Errorf("cell failed:\n%s", c.Failure)
	}
	results.addCell(c)
}

// recordCell records a cell that does not run (impossible or n/a).
func recordCell(t *testing.T, c Cell) {
	t.Helper()
	t.Run(c.Scenario+"/"+c.Mode, func(t *testing.T) {
		t.Logf("%s: %s", c.Outcome, c.Note)
		results.addCell(c)
	})
}
