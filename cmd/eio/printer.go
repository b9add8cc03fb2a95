package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// printer writes events as JSON lines or as readable lines.
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

func newPrinter(w io.Writer, asJSON bool) *printer { return &printer{w: w, json: asJSON} }

// event prints one event with key/value pairs, in order.
func (p *printer) event(name string, kv ...any) {
	now := time.Now().UTC()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		var b strings.Builder
		b.WriteString(`{"event":`)
		writeJSON(&b, name)
		b.WriteString(`,"time":`)
		writeJSON(&b, now.Format(time.RFC3339Nano))
		for i := 0; i+1 < len(kv); i += 2 {
			b.WriteByte(',')
			writeJSON(&b, kv[i])
			b.WriteByte(':')
			writeJSON(&b, kv[i+1])
		}
		b.WriteString("}\n")
		io.WriteString(p.w, b.String())
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-10s", now.Format("15:04:05.000000"), name)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%s", kv[i], readable(kv[i+1]))
	}
	b.WriteByte('\n')
	io.WriteString(p.w, b.String())
}

func writeJSON(b *strings.Builder, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte(`null`)
	}
	b.Write(data)
}

func readable(v any) string {
	if s, ok := v.(string); ok {
		if s == "" || strings.ContainsAny(s, " \t\n\"") {
			return fmt.Sprintf("%q", s)
		}
		return s
	}
	return fmt.Sprint(v)
}
