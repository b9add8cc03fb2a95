//go:build unix && !linux

package peer

import (
	"os/exec"
	"syscall"
)

func startCmd(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}
