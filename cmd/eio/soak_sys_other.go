//go:build !linux

package main

// fdLimit is unknown off Linux.
func fdLimit() int64 { return -1 }
