package trace

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/eio-go/eio/conformance/har"
)

// FuzzFromHAR feeds arbitrary bytes through har.Read and FromHAR. Neither
// may panic, FromHAR's failures must be *Error values naming a real entry,
// and a trace it returns must be well formed.
//
// The seeds in testdata/fuzz/FuzzFromHAR are the HARs of testdata and of
// the har package, shrunk to what the model reads.
func FuzzFromHAR(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := har.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		tr, err := FromHAR(l)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("FromHAR error is not an *Error: %v", err)
			}
			if te.Entry < 0 || te.Entry >= len(l.Entries) {
				t.Fatalf("error names entry %d of %d: %v", te.Entry, len(l.Entries), err)
			}
			return
		}
		for _, s := range tr.Sessions {
			if s.SID != "" && tr.Session(s.SID) != s {
				t.Fatalf("sid %q names two sessions", s.SID)
			}
			for i, e := range s.Events {
				if e.Entry < 0 || e.Entry >= len(l.Entries) {
					t.Fatalf("event %d names entry %d of %d", i, e.Entry, len(l.Entries))
				}
				if i > 0 && e.Time.Before(s.Events[i-1].Time) {
					t.Fatalf("event %d goes back in time", i)
				}
			}
			_ = s.Stream("", ClientToServer)
			_ = s.ServerEvents()
			for _, a := range s.AppActions() {
				if a.Event < 0 || a.Event >= len(s.Events) {
					t.Fatalf("action names event %d of %d", a.Event, len(s.Events))
				}
			}
			if end := s.Ending(); end.Event >= len(s.Events) {
				t.Fatalf("ending names event %d of %d", end.Event, len(s.Events))
			}
		}
		if err := tr.WriteText(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}
