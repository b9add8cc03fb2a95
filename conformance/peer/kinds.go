package peer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Kind names a peer implementation: a folder under conformance/peers.
type Kind string

const (
	// Node6 is engine.io 6 (protocol v4; v3 too with Options.AllowEIO3).
	Node6 Kind = "node6"
	// Node3 is engine.io 3 (protocol v3 only).
	Node3 Kind = "node3"
	// Python is python-engineio, Debian's python3-engineio, run by the
	// system interpreter (protocol v4 only). Its default async mode is
	// aiohttp; see Options.AsyncMode.
	Python Kind = "python"
	// GoServer is the Go server github.com/zishang520/socket.io/servers/engine/v3
	// (protocol v4; v3 too with Options.AllowEIO3), built into
	// conformance/peers/goserver/bin by install.sh.
	GoServer Kind = "goserver"
)

// Kinds lists every known peer kind.
func Kinds() []Kind { return []Kind{Node6, Node3, Python, GoServer} }

// Revisions lists the protocol revisions kind can speak: for Node6 and
// GoServer, revision 3 needs Options.AllowEIO3.
func Revisions(kind Kind) []int {
	switch kind {
	case Node3:
		return []int{3}
	case Node6, GoServer:
		return []int{4, 3}
	default:
		return []int{4}
	}
}

// pythonEnv names the environment variable that overrides the Python
// interpreter of the Python peer.
const pythonEnv = "EIO_PEER_PYTHON"

// pythonInterpreter returns the interpreter Debian's python3-engineio is
// installed for: $EIO_PEER_PYTHON, else /usr/bin/python3, else python3 on
// PATH (which may be a different Python without the package).
func pythonInterpreter() (string, error) {
	if p := os.Getenv(pythonEnv); p != "" {
		return exec.LookPath(p)
	}
	if fi, err := os.Stat("/usr/bin/python3"); err == nil && !fi.IsDir() {
		return "/usr/bin/python3", nil
	}
	return exec.LookPath("python3")
}

// Command returns the command that runs the peer of kind with args, with
// its working directory set. It does not check that the peer is installed
// (see Available).
func Command(kind Kind, args ...string) (*exec.Cmd, error) {
	dir := Dir(kind)
	if dir == "" {
		return nil, errors.New("cannot find the module root (go.mod)")
	}
	var cmd *exec.Cmd
	switch kind {
	case Node6, Node3:
		node, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("node is not on PATH: %w", err)
		}
		cmd = exec.Command(node, append([]string{"server.js"}, args...)...)
	case Python:
		py, err := pythonInterpreter()
		if err != nil {
			return nil, fmt.Errorf("no Python interpreter: %w", err)
		}
		cmd = exec.Command(py, append([]string{"server.py"}, args...)...)
	case GoServer:
		cmd = exec.Command(filepath.Join(dir, "bin", "goserver"), args...)
	default:
		return nil, fmt.Errorf("unknown peer kind %q", kind)
	}
	cmd.Dir = dir
	return cmd, nil
}

// Dir returns the absolute path of the peer folder of kind
// (<module root>/conformance/peers/<kind>), or "" if the module root cannot
// be found.
func Dir(kind Kind) string {
	root, err := moduleRoot()
	if err != nil {
		return ""
	}
	return filepath.Join(root, "conformance", "peers", string(kind))
}

var moduleRoot = sync.OnceValues(func() (string, error) {
	// The source tree of this package, when the binary was built from it
	// (always so for `go test`, unless -trimpath).
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root, ok := findGoMod(filepath.Dir(file)); ok {
			return root, nil
		}
	}
	if out, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
		if gomod := strings.TrimSpace(string(out)); gomod != "" && gomod != os.DevNull {
			return filepath.Dir(gomod), nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := findGoMod(wd); ok {
			return root, nil
		}
	}
	return "", errors.New("cannot find the module root (go.mod)")
})

func findGoMod(dir string) (string, bool) {
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Available reports whether the peer of kind can run, and the error says
// what is missing:
//   - Node6, Node3: node is on PATH and the folder's node_modules holds the
//     engine.io version its package.json pins;
//   - Python: the interpreter imports engineio and aiohttp;
//   - GoServer: bin/goserver exists and is newer than the sources it is
//     built from.
func Available(kind Kind) error {
	switch kind {
	case Node6, Node3:
		return nodeAvailable(kind)
	case Python:
		_, err := pythonVersions()
		return err
	case GoServer:
		return goServerAvailable()
	default:
		return fmt.Errorf("unknown peer kind %q", kind)
	}
}

func nodeAvailable(kind Kind) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not on PATH: %w", err)
	}
	_, err := nodeEngineVersion(kind)
	return err
}

// nodeEngineVersion returns the installed engine.io version of a Node
// peer, checked against the version its package.json pins.
func nodeEngineVersion(kind Kind) (string, error) {
	dir := Dir(kind)
	if dir == "" {
		return "", errors.New("cannot find the module root (go.mod)")
	}
	var want struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := readJSON(filepath.Join(dir, "package.json"), &want); err != nil {
		return "", err
	}
	var got struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(dir, "node_modules", "engine.io", "package.json"), &got); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("engine.io is not installed in %s", dir)
		}
		return "", err
	}
	if w := want.Dependencies["engine.io"]; w != "" && w != got.Version {
		return "", fmt.Errorf("%s has engine.io %s installed, package.json pins %s", dir, got.Version, w)
	}
	return got.Version, nil
}

// pythonVersions runs the interpreter once per test binary (a success is
// remembered) and returns "python-engineio X (aiohttp Y, Python Z)".
var pythonVersions = onceOK(func() (string, error) {
	py, err := pythonInterpreter()
	if err != nil {
		return "", fmt.Errorf("no Python interpreter: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const probe = `import importlib.metadata as m, platform, engineio, aiohttp
print("python-engineio %s (aiohttp %s, Python %s)" % (m.version("python-engineio"), m.version("aiohttp"), platform.python_version()))`
	out, err := exec.CommandContext(ctx, py, "-c", probe).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s cannot import engineio and aiohttp (install Debian's python3-engineio and python3-aiohttp): %v: %s",
			py, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
})

// onceOK memoizes f's first success; failures are retried on the next call.
func onceOK(f func() (string, error)) func() (string, error) {
	var mu sync.Mutex
	var val string
	var done bool
	return func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return val, nil
		}
		v, err := f()
		if err == nil {
			val, done = v, true
		}
		return v, err
	}
}

func goServerAvailable() error {
	dir := Dir(GoServer)
	if dir == "" {
		return errors.New("cannot find the module root (go.mod)")
	}
	bin := filepath.Join(dir, "bin", "goserver")
	fi, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("%s is not built: %w", bin, err)
	}
	built := fi.ModTime()
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(built) {
			return fmt.Errorf("%s is older than %s", bin, name)
		}
		return nil
	})
}

// goServerVersion reads the engine module's version from the peer's go.mod.
func goServerVersion() (string, error) {
	const mod = "github.com/zishang520/socket.io/servers/engine/v3"
	f, err := os.Open(filepath.Join(Dir(GoServer), "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i := 0; i+1 < len(fields); i++ {
			if fields[i] == mod {
				return mod + " " + fields[i+1], nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("go.mod of %s does not require %s", GoServer, mod)
}

// Version describes the server implementation behind kind, e.g.
// "engine.io 6.6.13" or "python-engineio 4.3.4 (aiohttp 3.8.4, Python
// 3.11.2)". It fails when the peer is not available.
func Version(kind Kind) (string, error) {
	if err := Available(kind); err != nil {
		return "", err
	}
	switch kind {
	case Node6, Node3:
		v, err := nodeEngineVersion(kind)
		if err != nil {
			return "", err
		}
		return "engine.io " + v, nil
	case Python:
		return pythonVersions()
	default:
		return goServerVersion()
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
