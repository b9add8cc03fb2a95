// Package arena hands out byte slices cut from shared chunks, so that
// many small messages cost few allocations. Nothing handed out is ever
// reused: a slice stays valid, and unchanged by the arena, for as long as
// its holder keeps it; a chunk is garbage once no slice of it is held.
// Every slice is capped at its length, so appending to one copies instead
// of reaching memory handed out later.
//
// Chunks start small, so that a quiet connection holds little, double
// while they are used up quickly, and halve again when one lasted longer
// than a second. A piece larger than a quarter of the largest chunk gets
// memory of its own. An Arena is not safe for concurrent use.
package arena

import (
	"errors"
	"io"
	"time"
)

// Chunk sizes, and how long a chunk may last before the next is smaller.
const (
	MinChunk = 256
	MaxChunk = 32 << 10
	slow     = time.Second
)

// Arena is a source of byte slices. The zero value is ready to use.
type Arena struct {
	buf   []byte    // the current chunk; len is what was handed out
	size  int       // the size of the current chunk
	since time.Time // when the current chunk was made
}

// Copy returns a copy of s followed by b.
func (a *Arena) Copy(s string, b []byte) []byte {
	n := len(s) + len(b)
	if n > MaxChunk/4 {
		out := make([]byte, 0, n)
		return append(append(out, s...), b...)
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = a.chunk(nil, n)
	}
	start := len(a.buf)
	a.buf = append(append(a.buf, s...), b...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// Undo gives back p, the slice the last Copy returned, when nothing was
// handed out since.
func (a *Arena) Undo(p []byte) {
	end := len(a.buf)
	if len(p) == 0 || end < len(p) || &a.buf[end-len(p)] != &p[0] {
		return
	}
	a.buf = a.buf[:end-len(p)]
}

// ReadAll reads r until io.EOF and returns what it read.
func (a *Arena) ReadAll(r io.Reader) ([]byte, error) {
	buf := a.buf
	start := len(buf)
	for {
		if len(buf) == cap(buf) {
			buf, start = a.chunk(buf[start:], 0), 0
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			a.buf = buf[:start] // what was read is not handed out
			return nil, err
		}
	}
	data := buf[start:len(buf):len(buf)]
	if cap(buf) > MaxChunk {
		buf = nil // a piece's own memory is not cut further
	}
	a.buf = buf
	return data, nil
}

// chunk returns a new chunk holding partial, with room for at least need
// more bytes.
func (a *Arena) chunk(partial []byte, need int) []byte {
	now := time.Now()
	switch {
	case a.size == 0:
		a.size = MinChunk
	case now.Sub(a.since) > slow:
		a.size = max(a.size/2, MinChunk)
	default:
		a.size = min(a.size*2, MaxChunk)
	}
	a.since = now
	size := max(a.size, 2*len(partial), len(partial)+need)
	buf := make([]byte, len(partial), size)
	copy(buf, partial)
	return buf
}
