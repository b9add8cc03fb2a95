package websocket

import (
	"io"

	"github.com/eio-go/eio/codec"
	"github.com/eio-go/eio/internal/arena"
)

// inbound is the memory frames are read into: frames are cut from shared
// chunks and packet slices from a shared slab, so that reading a frame
// allocates nothing most of the time. Nothing handed out is reused. Used
// by one reader at a time.
type inbound struct {
	data arena.Arena
	slab []codec.Packet
}

// readFrame reads a whole message from r.
func (in *inbound) readFrame(r io.Reader) ([]byte, error) { return in.data.ReadAll(r) }

// one returns p in a one-element slice cut from the slab.
func (in *inbound) one(p codec.Packet) []codec.Packet {
	if len(in.slab) == 0 {
		in.slab = make([]codec.Packet, 16)
	}
	out := in.slab[:1:1]
	out[0] = p
	in.slab = in.slab[1:]
	return out
}
