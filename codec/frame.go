package codec

// AppendFrame appends the WebSocket frame encoding of p to dst and reports
// whether the frame must be sent as a binary frame.
//
// Text packets are encoded as the type digit followed by the data. In
// revision 4 a binary message is its raw data with no type prefix; in
// revision 3 it is the type byte 0x04 followed by the data.
func AppendFrame(dst []byte, rev Revision, p Packet) (out []byte, binary bool) {
	if p.Binary {
		if rev == V3 {
			dst = append(dst, byte(p.Type))
		}
		return append(dst, p.Data...), true
	}
	dst = append(dst, '0'+byte(p.Type))
	return append(dst, p.Data...), false
}

// DecodeFrame decodes one WebSocket frame. binary tells whether it arrived
// as a binary frame. The returned packet's Data aliases data, with its
// capacity clipped so appending to it never writes into data.
//
// A text frame that starts with "b" is the base64 form a server uses when
// the client asked for b64=1: "b<base64>" in revision 4, "b<type
// digit><base64>" in revision 3. It decodes to a binary packet whose Data is
// a fresh slice.
func DecodeFrame(rev Revision, data []byte, binary bool) (Packet, error) {
	if binary {
		if rev == V3 {
			if len(data) == 0 {
				return Packet{}, errorf(ErrFraming, 0, "empty binary frame")
			}
			t := PacketType(data[0])
			if !t.Valid() {
				return Packet{}, errorf(ErrUnknownType, 0, "binary frame type byte 0x%02x", data[0])
			}
			return Packet{Type: t, Data: data[1:len(data):len(data)], Binary: true}, nil
		}
		return Packet{Type: Message, Data: data[:len(data):len(data)], Binary: true}, nil
	}
	if rev == V3 {
		return decodePacketV3Text(data, 0)
	}
	return decodePollingPacketV4(data, 0)
}

// decodeText decodes a packet in text form: a type digit and its data.
// off is the position of data in the caller's input, for errors.
func decodeText(data []byte, off int) (Packet, error) {
	if len(data) == 0 {
		return Packet{}, errorf(ErrFraming, off, "empty packet")
	}
	c := data[0]
	if c < '0' || c > '9' || !PacketType(c-'0').Valid() {
		return Packet{}, errorf(ErrUnknownType, off, "packet type %q", c)
	}
	return Packet{Type: PacketType(c - '0'), Data: data[1:len(data):len(data)]}, nil
}
