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
	next int // the size of the next slab
}

// readFrame reads a whole message from r.
func (in *inbound) readFrame(r io.Reader) ([]byte, error) { return in.data.ReadAll(r) }

// maxSlab is the largest slab, in packets.
const maxSlab = 16

// one returns p in a one-element slice cut from the slab. Slabs start at
// two packets, so that a quiet connection holds little, and double up to
// maxSlab.
func (in *inbound) one(p codec.Packet) []codec.Packet {
	if len(in.slab) == 0 {
		in.next = min(max(2*in.next, 2), maxSlab)
		in.slab = make([]codec.Packet, in.next)
	}
	out := in.slab[:1:1]
	out[0] = p
	in.slab = in.slab[1:]
	return out
}
