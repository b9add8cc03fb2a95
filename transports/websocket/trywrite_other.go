//go:build !unix

package websocket

import (
	"errors"
	"syscall"
)

const tryWriteSupported = false

func tryWrite(syscall.RawConn, []byte) (int, error) {
	return 0, errors.New("websocket: no write without waiting on this system")
}
