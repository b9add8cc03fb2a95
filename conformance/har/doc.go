// Package har reads and writes HTTP Archive (HAR) 1.2 files, the format
// browser devtools export, with WebSocket frames in Chrome's
// "_webSocketMessages" convention.
//
// [Read] and [ReadFile] parse a HAR into a [Log]. They are strict about the
// structure the rest of eio relies on — the log object, its entries array,
// each entry's startedDateTime, request and response, absolute request
// URLs, base64 bodies and WebSocket message types and opcodes — and report
// a violation as an [*Error] naming the entry index and the field. They
// ignore fields they do not know, so HARs from Chrome, Firefox, proxies and
// other tools load. Input is limited to [MaxSize] bytes.
//
// [Write] and [WriteFile] produce a HAR 1.2 document that [Read] accepts:
// required arrays and objects are always present, the version is "1.2" and
// an empty creator becomes eio.
//
// Bodies come out through [Request.Body], [Response.Body] and
// [Content.Bytes], and WebSocket frame payloads through
// [WebSocketMessage.Payload]; all of them undo base64 encoding.
//
// The package knows nothing about Engine.IO: grouping entries into sessions
// and decoding packets is the job of package trace. It keeps no fields it
// does not know: a HAR read and written again loses browser-specific
// extensions other than "_resourceType", "_webSocketMessages" and "_error".
package har
