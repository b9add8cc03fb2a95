package har

import (
	"errors"
	"strconv"
)

// Sentinels matched by [*Error] with errors.Is.
var (
	// ErrMissing reports a required field that is absent or null.
	ErrMissing = errors.New("missing")
	// ErrTooLarge reports input longer than [MaxSize].
	ErrTooLarge = errors.New("HAR too large")
)

// Error is a HAR that does not have the required structure, or a [Log]
// that cannot be written as one.
type Error struct {
	// Entry is the index of the offending entry in log.entries, or -1 when
	// the fault is outside the entries.
	Entry int
	// Field is the offending field, as a dotted path inside the entry (for
	// example "request.url") or, when Entry is -1, inside the file (for
	// example "log.entries"). It is empty when the JSON itself is broken.
	Field string
	// Err is what is wrong: [ErrMissing], [ErrTooLarge], a JSON, URL or
	// base64 error, or a plain description.
	Err error
}

// Error renders the error as "har: entries[3].request.url: …".
func (e *Error) Error() string {
	s := "har: "
	if e.Entry >= 0 {
		s += "entries[" + strconv.Itoa(e.Entry) + "]"
		if e.Field != "" {
			s += "."
		}
	}
	if e.Field != "" {
		s += e.Field
	}
	if e.Entry >= 0 || e.Field != "" {
		s += ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns Err, so errors.Is and errors.As see through an Error.
func (e *Error) Unwrap() error { return e.Err }

func entryError(i int, field string, err error) *Error {
	return &Error{Entry: i, Field: field, Err: err}
}

func entryErrorf(i int, field, msg string) *Error {
	return &Error{Entry: i, Field: field, Err: errors.New(msg)}
}
