// Package codec encodes and decodes Engine.IO packets, polling payloads and
// the handshake, for protocol revisions 4 and 3.
//
// The codec is pure: it does no I/O, keeps no state and reads no clock. Its
// main names are [Packet], [PacketType], [AppendFrame] and [DecodeFrame] for
// WebSocket frames, [AppendPayload] and [DecodePayload] for polling bodies,
// [Batch] for splitting queued packets into bodies that fit maxPayload, and
// [ParseHandshake] for the open packet's JSON.
//
// Decoded packets alias the input slice unless a function says otherwise:
// copy [Packet.Data] before reusing the buffer it came from.
//
// Malformed input never panics; it returns an [*Error] that carries the
// offset of the fault and matches one of the sentinels [ErrUnknownType],
// [ErrFraming], [ErrTooLarge] or [ErrHandshake] with errors.Is.
package codec
