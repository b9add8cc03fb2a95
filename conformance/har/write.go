package har

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// creatorName is the creator Write puts into logs that name none.
const creatorName = "eio"

const modulePath = "github.com/eio-go/eio"

// Write writes l as an indented HAR 1.2 document. The version is always
// [Version]; an empty Creator becomes eio and its module version; nil
// arrays that HAR requires are written as []. l itself is not modified.
// Entries are checked as [Read] would check them, so what Write writes
// Read accepts; a failing entry is reported as an [*Error].
func Write(w io.Writer, l *Log) error {
	if l == nil {
		return errors.New("har: write: nil log")
	}
	out := normalize(l)
	for i := range out.Entries {
		if err := validateEntry(i, &out.Entries[i]); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fileOut{Log: out}); err != nil {
		return fmt.Errorf("har: write: %w", err)
	}
	return nil
}

// WriteFile writes l to the file called name, creating or truncating it;
// see [Write].
func WriteFile(name string, l *Log) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("har: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = Write(bw, l)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("har: %w", cerr)
	}
	return err
}

type fileOut struct {
	Log *Log `json:"log"`
}

// normalize returns a copy of l with the fields HAR requires filled in.
func normalize(l *Log) *Log {
	out := *l
	out.Version = Version
	if out.Creator.Name == "" {
		out.Creator = Creator{Name: creatorName, Version: moduleVersion()}
	}
	out.Entries = make([]Entry, len(l.Entries))
	copy(out.Entries, l.Entries)
	for i := range out.Entries {
		e := &out.Entries[i]
		e.Request.Cookies = nonNil(e.Request.Cookies)
		e.Request.Headers = nonNil(e.Request.Headers)
		e.Request.QueryString = nonNil(e.Request.QueryString)
		e.Response.Cookies = nonNil(e.Response.Cookies)
		e.Response.Headers = nonNil(e.Response.Headers)
	}
	return &out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// moduleVersion returns eio's module version as the running binary
// records it, or "(devel)".
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath && bi.Main.Version != "" {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath && d.Version != "" {
				return d.Version
			}
		}
	}
	return "(devel)"
}
