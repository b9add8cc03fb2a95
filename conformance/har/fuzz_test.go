package har

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzRead checks that Read never panics, reports every failure as an
// *Error, and that whatever it accepts Write can write and Read accepts
// again, the written form being a fixed point.
//
// The seeds are in testdata/fuzz/FuzzRead, among them the browser samples
// of testdata without their indentation: large seeds make the fuzzer spend
// its time minimizing.
func FuzzRead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Read(bytes.NewReader(data))
		if err != nil {
			var he *Error
			if !errors.As(err, &he) {
				t.Fatalf("Read error is not an *Error: %v", err)
			}
			return
		}
		var first bytes.Buffer
		if err := Write(&first, l); err != nil {
			t.Fatalf("Write of a log Read accepted: %v", err)
		}
		l2, err := Read(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("Read of Write's output: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := Write(&second, l2); err != nil {
			t.Fatalf("second Write: %v", err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("Write output is not a fixed point:\n%s\n---\n%s", first.Bytes(), second.Bytes())
		}
		for i := range l.Entries {
			e := &l.Entries[i]
			if _, err := e.Request.Body(); err != nil {
				t.Fatalf("entry %d: request body of a valid log: %v", i, err)
			}
			if _, err := e.Response.Body(); err != nil {
				t.Fatalf("entry %d: response body of a valid log: %v", i, err)
			}
			for j := range e.WebSocketMessages {
				if _, err := e.WebSocketMessages[j].Payload(); err != nil {
					t.Fatalf("entry %d message %d: payload of a valid log: %v", i, j, err)
				}
			}
			_ = e.ResponseTime()
			_ = e.IsWebSocket()
		}
	})
}
