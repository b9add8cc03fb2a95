//go:build !linux

package main

import (
	"os/exec"
	"syscall"
	"time"
)

// On systems without procfs and Linux's getrusage fields, eio bench runs
// but reports CPU and memory as unknown.

func cpuTimes() (user, sys time.Duration) { return 0, 0 }

func procStatusKB(string) int64 { return -1 }

func processCPU(int) time.Duration { return -1 }

func setChildAttrs(*exec.Cmd) {}

func killGroup(cmd *exec.Cmd, _ syscall.Signal) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func cpuModel() string { return "unknown" }

func kernelRelease() string { return "unknown" }

func procIO() (reads, writes int64) { return -1, -1 }
