// Command eio is the command-line client of the eio Engine.IO library.
//
//	eio version
//	eio connect [flags] URL
//	eio replay [-json] [-machine] [-speed X] [-mermaid] TRACE.har
//	eio proxy -target URL -o out.har [-listen 127.0.0.1:PORT]
//
// Run "eio connect -h" for the flags of connect.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "version":
		fmt.Fprintf(stdout, "eio %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case "connect":
		return connectCmd(args[1:], stdout, stderr)
	case "replay":
		return replayCmd(args[1:], stdout, stderr)
	case "proxy":
		return proxyCmd(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "soak":
		return soakCmd(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "eio: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  eio version
  eio connect [flags] URL
  eio replay [-json] [-machine] [-speed X] [-mermaid] TRACE.har
  eio proxy -target URL -o out.har [-listen 127.0.0.1:PORT]
  eio bench [-rounds 5] [-o docs/performance.md] [-quick] [-cpuprofile DIR]
  eio soak [-clients 1000] [-duration 60s] [-interval 1s] [-o docs/reliability.md]
`)
}

// version returns the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
