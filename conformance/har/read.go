package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
)

// MaxSize is the largest input [Read] accepts, in bytes.
const MaxSize = 256 << 20

// ReadFile reads the HAR file called name; see [Read].
func ReadFile(name string) (*Log, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("har: %w", err)
	}
	defer f.Close()
	return Read(f)
}

// Read parses a HAR document of at most [MaxSize] bytes. It returns an
// [*Error] naming the entry and field when the document lacks the log,
// its entries array, an entry's startedDateTime, request (with method and
// absolute url) or response, or when a base64 body or a WebSocket message
// is malformed. Unknown fields are ignored; a leading UTF-8 byte order mark
// is skipped.
func Read(r io.Reader) (*Log, error) { return readLimit(r, MaxSize) }

func readLimit(r io.Reader, limit int64) (*Log, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("har: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &Error{Entry: -1, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)}
	}
	return parse(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
}

// fileJSON and logJSON mirror the document down to the entries, which are
// decoded one by one so errors can name the entry.
type fileJSON struct {
	Log *logJSON `json:"log"`
}

type logJSON struct {
	Version string             `json:"version"`
	Creator Creator            `json:"creator"`
	Browser *Creator           `json:"browser"`
	Pages   []Page             `json:"pages"`
	Entries *[]json.RawMessage `json:"entries"`
	Comment string             `json:"comment"`
}

// entryPresence records which required fields an entry has; pointers stay
// nil for absent and null values.
type entryPresence struct {
	StartedDateTime *json.RawMessage `json:"startedDateTime"`
	Request         *struct {
		Method *json.RawMessage `json:"method"`
		URL    *json.RawMessage `json:"url"`
	} `json:"request"`
	Response *json.RawMessage `json:"response"`
}

func parse(data []byte) (*Log, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &Error{Entry: -1, Err: err}
	}
	if f.Log == nil {
		return nil, &Error{Entry: -1, Field: "log", Err: ErrMissing}
	}
	if f.Log.Entries == nil {
		return nil, &Error{Entry: -1, Field: "log.entries", Err: ErrMissing}
	}
	l := &Log{
		Version: f.Log.Version,
		Creator: f.Log.Creator,
		Browser: f.Log.Browser,
		Pages:   f.Log.Pages,
		Entries: make([]Entry, len(*f.Log.Entries)),
		Comment: f.Log.Comment,
	}
	for i, raw := range *f.Log.Entries {
		if err := parseEntry(i, raw, &l.Entries[i]); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func parseEntry(i int, raw json.RawMessage, e *Entry) error {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return entryErrorf(i, "", "entry is not an object")
	}
	var p entryPresence
	if err := json.Unmarshal(raw, &p); err != nil {
		return entryError(i, "", err)
	}
	switch {
	case p.StartedDateTime == nil:
		return entryError(i, "startedDateTime", ErrMissing)
	case p.Request == nil:
		return entryError(i, "request", ErrMissing)
	case p.Request.Method == nil:
		return entryError(i, "request.method", ErrMissing)
	case p.Request.URL == nil:
		return entryError(i, "request.url", ErrMissing)
	case p.Response == nil:
		return entryError(i, "response", ErrMissing)
	}
	if err := json.Unmarshal(raw, e); err != nil {
		return entryError(i, "", err)
	}
	return validateEntry(i, e)
}

// validateEntry checks what Read promises and Write relies on for one
// entry whose JSON shape is already known to be right.
func validateEntry(i int, e *Entry) error {
	if e.StartedDateTime.IsZero() {
		return entryError(i, "startedDateTime", ErrMissing)
	}
	if e.Request.Method == "" {
		return entryError(i, "request.method", ErrMissing)
	}
	if e.Request.URL == "" {
		return entryError(i, "request.url", ErrMissing)
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return entryError(i, "request.url", err)
	}
	if !u.IsAbs() {
		return entryErrorf(i, "request.url", "not an absolute URL: "+strconv.Quote(e.Request.URL))
	}
	if pd := e.Request.PostData; pd != nil && pd.Encoding != "" {
		if _, err := decodeText(pd.Text, pd.Encoding); err != nil {
			return entryError(i, "request.postData.text", err)
		}
	}
	if c := &e.Response.Content; c.Encoding != "" {
		if _, err := decodeText(c.Text, c.Encoding); err != nil {
			return entryError(i, "response.content.text", err)
		}
	}
	for j := range e.WebSocketMessages {
		if err := validateMessage(&e.WebSocketMessages[j]); err != nil {
			err.Entry = i
			err.Field = "_webSocketMessages[" + strconv.Itoa(j) + "]." + err.Field
			return err
		}
	}
	return nil
}

func validateMessage(m *WebSocketMessage) *Error {
	switch {
	case !m.Type.Valid():
		return &Error{Field: "type", Err: fmt.Errorf("unknown message type %q", m.Type)}
	case !m.Opcode.Valid():
		return &Error{Field: "opcode", Err: fmt.Errorf("unsupported opcode %d", m.Opcode)}
	case !(m.Time >= 0 && m.Time <= maxEpochSeconds):
		return &Error{Field: "time", Err: fmt.Errorf("time %v out of range", m.Time)}
	}
	if m.Opcode == OpBinary {
		if _, err := decodeBase64(m.Data); err != nil {
			return &Error{Field: "data", Err: err}
		}
	}
	return nil
}
