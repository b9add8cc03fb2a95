// Package codec encodes and decodes Engine.IO packets, polling payloads and
// the handshake, for protocol revisions 4 and 3.
//
// The codec is pure: it does no I/O beyond [ReadPayload]'s bounded read of
// a body, keeps no state and reads no clock. Its main names are [Packet],
// [PacketType] and [Revision]; [AppendFrame] and [DecodeFrame] for
// WebSocket frames; [AppendPayload] and [DecodePayload] for text polling
// bodies of both revisions, [AppendBinaryPayload] for revision 3
// application/octet-stream bodies, and [ReadPayload] to read and decode a
// body under a size limit; [PayloadPacketLen] and [Batch] for splitting
// queued packets into bodies that fit maxPayload; [CheckPacket] for what a
// revision and transport cannot carry; and [ParseHandshake] for the open
// packet's JSON. docs/protocol.md describes the wire formats byte by byte.
//
// The Append functions append to dst and return the extended slice, as
// strconv's do; with a dst of enough capacity they do not allocate. They
// trust their input: encode only packets [CheckPacket] accepts.
//
// Decoded packets alias the input slice unless a function says otherwise
// (base64 data is always decoded into a fresh slice): copy [Packet.Data]
// before reusing the buffer it came from. Aliased data has its capacity
// clipped, so appending to it never overwrites the input.
//
// Malformed input never panics; it returns an [*Error] that carries the
// offset of the fault and matches one of the sentinels [ErrUnknownType],
// [ErrFraming], [ErrTooLarge] or [ErrHandshake] with errors.Is.
//
// The codec does not do transports, HTTP, heartbeats or sessions, nor the
// WebTransport framing of revision 4, nor revision 3's JSONP polling.
package codec
