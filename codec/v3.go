package codec

// Revision 3 payload framing. Not implemented yet: these functions report
// an error so callers never mistake a v3 body for v4.

func appendPayloadV3(dst []byte, pkts []Packet) []byte {
	panic("codec: revision 3 payloads are not implemented")
}

func payloadPacketLenV3(p Packet) int {
	panic("codec: revision 3 payloads are not implemented")
}

func decodePayloadV3(dst []Packet, body []byte) ([]Packet, error) {
	return dst, errorf(ErrFraming, 0, "revision 3 payloads are not implemented")
}

func decodeBinaryPayloadV3(dst []Packet, body []byte) ([]Packet, error) {
	return dst, errorf(ErrFraming, 0, "revision 3 payloads are not implemented")
}
