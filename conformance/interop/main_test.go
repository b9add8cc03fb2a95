package interop

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eio-go/eio/conformance/peer"
)

var update = flag.Bool("update", false, "write docs/interop.md (and its JSON) from this run")

// Paths of the rendered report, relative to this package.
const (
	reportMarkdown = "../../docs/interop.md"
	reportJSON     = "testdata/results.json"
)

// collector gathers the report while the tests run.
type collector struct {
	mu     sync.Mutex
	report Report
}

var results = &collector{}

func (c *collector) addCell(cell Cell) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.report.Cells = append(c.report.Cells, cell)
}

func (c *collector) addDeviation(d Deviation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.report.Deviations = append(c.report.Deviations, d)
}

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	code := m.Run()
	if *update {
		if err := writeReport(time.Since(start)); err != nil {
			fmt.Fprintln(os.Stderr, "interop: writing the report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func writeReport(elapsed time.Duration) error {
	results.mu.Lock()
	r := results.report
	results.mu.Unlock()
	r.Seconds = elapsed.Seconds()
	r.CPUs = runtime.GOMAXPROCS(0)
	r.Scenarios = scenarioList
	for _, k := range peer.Kinds() {
		v, err := peer.Version(k)
		if err != nil {
			v = "not available: " + err.Error()
		}
		r.Peers = append(r.Peers, PeerInfo{Kind: string(k), Version: v, Revisions: peer.Revisions(k)})
	}
	slices.SortStableFunc(r.Deviations, func(a, b Deviation) int { return compareIDs(a.ID, b.ID) })
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(reportJSON), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(reportJSON, append(js, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(reportMarkdown, Render(r), 0o644)
}

// compareIDs orders D2 before D10.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
