package arena

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestArenaKeepsFrames reads frames of many sizes, some larger than a
// chunk, through readers that return a few bytes at a time, and checks
// that every frame handed out still holds its bytes at the end: the arena
// never reuses memory it handed out, and appending to a frame cannot
// reach the next one.
func TestArenaKeepsFrames(t *testing.T) {
	var a Arena
	var want, got [][]byte
	for i := range 400 {
		size := (i * 37) % 700
		if i%50 == 0 {
			size = 3*MaxChunk + i // a frame of its own
		}
		frame := bytes.Repeat([]byte{byte(i)}, size)
		want = append(want, frame)
		r := iotest.HalfReader(bytes.NewReader(frame))
		data, err := a.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, len(data), cap(data), "frame %d can be appended to in place", i)
		got = append(got, data)
	}
	for i := range want {
		require.Equal(t, want[i], got[i], "frame %d changed after later reads", i)
	}
}

// TestArenaReadError passes a reader's error on.
func TestArenaReadError(t *testing.T) {
	var a Arena
	_, err := a.ReadAll(iotest.ErrReader(io.ErrUnexpectedEOF))
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestArenaAllocations checks that small frames are cut from shared
// chunks: far fewer allocations than frames.
func TestArenaAllocations(t *testing.T) {
	var a Arena
	frame := bytes.Repeat([]byte("x"), 33)
	r := bytes.NewReader(frame)
	allocs := testing.AllocsPerRun(1000, func() {
		r.Reset(frame)
		if _, err := a.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	})
	require.Less(t, allocs, 0.2, "allocations per 33-byte frame")
}

// TestCopy checks copies of text and bytes, large and small, and that a
// copy stays intact after later ones and after Undo of another.
func TestCopy(t *testing.T) {
	var a Arena
	var want, got [][]byte
	for i := range 300 {
		text := strings.Repeat("t", (i*13)%200)
		data := bytes.Repeat([]byte{byte(i)}, (i*29)%300)
		if i%40 == 0 {
			data = make([]byte, MaxChunk) // memory of its own
		}
		p := a.Copy(text, data)
		require.Equal(t, len(p), cap(p))
		want = append(want, append([]byte(text), data...))
		got = append(got, p)
		if i%7 == 0 {
			a.Undo(a.Copy("undone", nil))
		}
	}
	for i := range want {
		require.Equal(t, want[i], got[i], "copy %d changed", i)
	}
	// Undo gives back only the last piece.
	p := a.Copy("last", nil)
	q := a.Copy("more", nil)
	a.Undo(p)
	require.Equal(t, "more", string(q))
	r := a.Copy("next", nil)
	require.Equal(t, "more", string(q), "Undo of an older piece freed memory handed out since")
	require.Equal(t, "next", string(r))
}

// TestCopyAllocations checks that small copies share chunks.
func TestCopyAllocations(t *testing.T) {
	var a Arena
	text := strings.Repeat("x", 32)
	allocs := testing.AllocsPerRun(1000, func() { a.Copy(text, nil) })
	require.Less(t, allocs, 0.2, "allocations per 32-byte copy")
}
