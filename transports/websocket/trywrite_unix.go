//go:build unix

package websocket

import (
	"errors"
	"syscall"
)

const tryWriteSupported = true

// tryWrite makes one write system call of b on raw's descriptor, without
// waiting for it to become writable: a full send buffer writes nothing
// and is no error.
func tryWrite(raw syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if !errors.Is(werr, syscall.EINTR) {
				return true // never wait for writability
			}
		}
	})
	if n < 0 {
		n = 0
	}
	if errors.Is(werr, syscall.EAGAIN) {
		werr = nil
	}
	if err == nil {
		err = werr
	}
	return n, err
}
