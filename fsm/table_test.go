package fsm

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestTableMatrix fires every event from every state on a fresh machine and
// checks that it is accepted exactly when the table has a row for it.
func TestTableMatrix(t *testing.T) {
	allowed := map[State]map[Event]State{}
	for _, tr := range Transitions() {
		for _, from := range tr.From {
			if allowed[from] == nil {
				allowed[from] = map[Event]State{}
			}
			allowed[from][tr.Event] = tr.To
		}
	}
	for _, s := range States() {
		for _, tr := range Transitions() {
			l := lifecycle{cur: s}
			from, to, err := l.fire(tr.Event)
			require.Equal(t, s, from)
			if want, ok := allowed[s][tr.Event]; ok {
				require.NoError(t, err, "%s in %s", tr.Event, s)
				require.Equal(t, want, to)
			} else {
				require.ErrorIs(t, err, ErrInvalidTransition, "%s in %s", tr.Event, s)
				require.Equal(t, s, to, "a rejected event leaves the state alone")
			}
		}
	}
}

// TestEveryStateReachable checks that every state can be reached from
// Disconnected and that Disconnected can be reached from every state.
func TestEveryStateReachable(t *testing.T) {
	reach := func(start State, forward bool) map[State]bool {
		seen := map[State]bool{start: true}
		for changed := true; changed; {
			changed = false
			for _, tr := range Transitions() {
				for _, from := range tr.From {
					a, b := from, tr.To
					if !forward {
						a, b = b, a
					}
					if seen[a] && !seen[b] {
						seen[b], changed = true, true
					}
				}
			}
		}
		return seen
	}
	fwd, back := reach(Disconnected, true), reach(Disconnected, false)
	for _, s := range States() {
		require.True(t, fwd[s], "%s unreachable", s)
		require.True(t, back[s], "%s cannot end", s)
	}
}

// TestStateDiagramUpToDate keeps docs/state-machine.md's diagram equal to
// the table. Run `make docs` (go test ./fsm -run TestStateDiagramUpToDate
// -update) after changing the table.
func TestStateDiagramUpToDate(t *testing.T) {
	path := filepath.Join("..", "docs", "state-machine.md")
	doc, err := os.ReadFile(path)
	require.NoError(t, err)
	const begin, end = "<!-- BEGIN GENERATED: make docs -->\n", "<!-- END GENERATED -->\n"
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "%s lacks the generated-section markers", path)
	want := "```mermaid\n" + Mermaid() + "```\n"
	got := text[i+len(begin) : j]
	if *update {
		text = text[:i+len(begin)] + want + text[j:]
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		return
	}
	require.Equal(t, want, got, "the diagram is stale: run make docs")
}

// TestMermaidCoversTable checks the diagram has one edge per table row
// and source state.
func TestMermaidCoversTable(t *testing.T) {
	m := Mermaid()
	for _, tr := range Transitions() {
		for _, from := range tr.From {
			edge := string(from) + " --> " + string(tr.To) + ": " + string(tr.Event)
			require.Contains(t, m, edge)
		}
	}
	lines := strings.Split(strings.TrimSpace(m), "\n")
	require.True(t, slices.IsSorted(lines[2:]), "diagram lines are sorted")
}
