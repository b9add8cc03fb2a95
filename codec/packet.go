package codec

import "strconv"

// Revision is an Engine.IO protocol revision, sent as the EIO query
// parameter.
type Revision int

// The protocol revisions the codec speaks.
const (
	V3 Revision = 3
	V4 Revision = 4
)

// Valid reports whether r is a revision the codec implements.
func (r Revision) Valid() bool { return r == V3 || r == V4 }

// String returns the revision as it appears in the EIO query parameter.
func (r Revision) String() string { return strconv.Itoa(int(r)) }

// PacketType is the type of an Engine.IO packet, named as in the protocol
// specification. Its value is the digit sent on the wire.
type PacketType byte

// The seven packet types of the protocol.
const (
	Open    PacketType = 0
	Close   PacketType = 1
	Ping    PacketType = 2
	Pong    PacketType = 3
	Message PacketType = 4
	Upgrade PacketType = 5
	Noop    PacketType = 6
)

var typeNames = [...]string{"open", "close", "ping", "pong", "message", "upgrade", "noop"}

// Valid reports whether t is one of the seven packet types.
func (t PacketType) Valid() bool { return t <= Noop }

// String returns the specification's name of the type.
func (t PacketType) String() string {
	if t.Valid() {
		return typeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Packet is one Engine.IO packet.
//
// Binary is true when Data is raw bytes rather than UTF-8 text. Revision 4
// carries binary data in message packets only; revision 3 sends a type byte
// with binary data, so its decoders may report a binary packet of another
// type. [CheckPacket] tells which packets a revision can encode.
type Packet struct {
	Type   PacketType
	Data   []byte
	Binary bool
}

// TextMessage returns a text message packet carrying s.
func TextMessage(s string) Packet { return Packet{Type: Message, Data: []byte(s)} }

// BinaryMessage returns a binary message packet carrying b (not copied).
func BinaryMessage(b []byte) Packet { return Packet{Type: Message, Data: b, Binary: true} }

// ProbePing is the ping a client sends on a new transport to probe it.
var ProbePing = Packet{Type: Ping, Data: []byte("probe")}

// IsProbe reports whether p carries the "probe" data of the upgrade
// handshake (a "2probe" or "3probe" packet).
func (p Packet) IsProbe() bool {
	return !p.Binary && string(p.Data) == "probe"
}

// String renders p the way it travels in a text frame, with binary data
// summarised, for logs and traces.
func (p Packet) String() string {
	if p.Binary {
		return p.Type.String() + " <" + strconv.Itoa(len(p.Data)) + " bytes>"
	}
	if len(p.Data) == 0 {
		return p.Type.String()
	}
	return p.Type.String() + " " + strconv.Quote(string(p.Data))
}
