//go:build linux

package main

import "syscall"

// fdLimit returns this process's open-file limit (the soft one), or -1.
func fdLimit() int64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return -1
	}
	return int64(rl.Cur)
}
