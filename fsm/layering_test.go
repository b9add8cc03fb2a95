package fsm

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLayering enforces the import direction of docs/architecture.md:
// codec imports nothing outside the standard library; fsm imports codec
// and looplab/fsm; transports import codec and internal helpers (which
// import only the standard library) at most; no package but fsm imports
// looplab/fsm.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/eio-go/eio/...").Output()
	require.NoError(t, err)
	const mod = "github.com/eio-go/eio/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(fields[0], mod), fields[1:]
		for _, imp := range imports {
			ours := strings.HasPrefix(imp, mod)
			std := !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".")
			if imp == "github.com/looplab/fsm" {
				require.Equal(t, "fsm", pkg, "only fsm may import looplab/fsm")
			}
			switch {
			case pkg == "codec":
				require.True(t, std, "codec imports %s", imp)
			case pkg == "fsm":
				require.True(t, std || imp == mod+"codec" || imp == "github.com/looplab/fsm", "fsm imports %s", imp)
			case strings.HasPrefix(pkg, "transports"):
				if ours {
					require.True(t, imp == mod+"codec" || imp == mod+"transports" || strings.HasPrefix(imp, mod+"internal/"), "%s imports %s", pkg, imp)
				}
			case strings.HasPrefix(pkg, "internal/"):
				require.True(t, std, "%s imports %s", pkg, imp)
			case pkg == "client":
				require.False(t, ours && strings.HasPrefix(imp, mod+"conformance"), "client imports %s", imp)
			}
		}
	}
}
