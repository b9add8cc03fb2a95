package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/eio-go/eio/conformance/replay"
)

type replayFlags struct {
	json    bool
	machine bool
	mermaid bool
	verbose bool
	speed   float64
	timeout time.Duration
}

// replayCmd replays every session of a HAR against the client (or, with
// -machine, through the state machine alone) and exits 0 when the client
// conforms, 1 on a divergence and 2 when the trace cannot be read.
func replayCmd(args []string, stdout, stderr io.Writer) int {
	f := &replayFlags{}
	fs := flag.NewFlagSet("eio replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.json, "json", false, "print one JSON report per session on stdout")
	fs.BoolVar(&f.machine, "machine", false, "replay through the state machine alone and print each input, state, transition and effect")
	fs.BoolVar(&f.mermaid, "mermaid", false, "print a Mermaid sequence diagram of each session instead of replaying")
	fs.BoolVar(&f.verbose, "v", false, "log each replay step on stderr as it happens")
	fs.Float64Var(&f.speed, "speed", 1, "divide the recorded delays by X (>= 1); 0 replays without delays")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up on one session after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eio replay [-json] [-machine] [-speed X] [-mermaid] [-v] TRACE.har")
		fmt.Fprintln(stderr, "Exit status: 0 when the client conforms, 1 on a divergence, 2 for an unreadable trace.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	speed := f.speed
	switch {
	case speed == 0:
		speed = math.Inf(1)
	case speed < 1 || math.IsNaN(speed):
		fmt.Fprintf(stderr, "eio replay: -speed must be 0 or at least 1, not %v\n", f.speed)
		return exitUsage
	}
	cases, err := replay.LoadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "eio replay: %v\n", err)
		return exitUsage
	}
	if len(cases) == 0 {
		fmt.Fprintf(stderr, "eio replay: %s holds no Engine.IO session\n", fs.Arg(0))
		return exitUsage
	}
	status := exitOK
	for _, c := range cases {
		var ok bool
		var err error
		switch {
		case f.mermaid:
			err = replay.Mermaid(stdout, c.Session)
			ok = true
		case f.machine:
			ok, err = replayMachine(c, f, stdout)
		default:
			ok, err = replayWire(c, f, speed, stdout, stderr)
		}
		if err != nil {
			fmt.Fprintf(stderr, "eio replay: %s: %v\n", c.Name, err)
			return exitFail
		}
		if !ok {
			status = exitFail
		}
	}
	return status
}

func replayWire(c *replay.Case, f *replayFlags, speed float64, stdout, stderr io.Writer) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	opts := &replay.Options{Speed: speed}
	if f.verbose {
		opts.Log = stderr
	}
	rep, err := c.Run(ctx, opts)
	if err != nil {
		return false, err
	}
	if f.json {
		data, err := json.Marshal(rep)
		if err != nil {
			return false, err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", data)
		return rep.OK(), err
	}
	return rep.OK(), rep.WriteText(stdout)
}

func replayMachine(c *replay.Case, f *replayFlags, stdout io.Writer) (bool, error) {
	rep := c.RunMachine()
	if f.json {
		out := struct {
			Case       string   `json:"case"`
			OK         bool     `json:"ok"`
			Divergence string   `json:"divergence,omitempty"`
			Steps      []string `json:"steps"`
		}{Case: rep.Case, OK: rep.OK()}
		if rep.Divergence != nil {
			out.Divergence = rep.Divergence.String()
		}
		for _, st := range rep.Steps {
			line := fmt.Sprintf("%+.3fs [%s] %s", st.At.Seconds(), st.Before, replay.InputString(st.Input))
			for _, e := range st.Effects {
				line += "; " + replay.EffectString(e)
			}
			out.Steps = append(out.Steps, line)
		}
		data, err := json.Marshal(out)
		if err != nil {
			return false, err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", data)
		return rep.OK(), err
	}
	return rep.OK(), rep.WriteText(stdout)
}
