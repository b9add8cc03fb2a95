package peer

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// On Linux the peer also gets SIGKILL when the process that started it dies
// (PR_SET_PDEATHSIG). That covers a paused peer, which cannot notice its
// stdin closing. The signal is tied to the thread that forked, so all
// peers are forked from one goroutine locked to its thread for the life of
// the test binary: that thread never exits before the process does.

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// spawner returns the channel served by the spawning goroutine (started on
// first use; it runs spawnLoop until the test binary exits).
var spawner = sync.OnceValue(func() chan<- spawnReq {
	ch := make(chan spawnReq)
	go spawnLoop(ch)
	return ch
})

func spawnLoop(ch <-chan spawnReq) {
	runtime.LockOSThread() // never unlocked: the thread lives until exit
	for r := range ch {
		r.done <- r.cmd.Start()
	}
}

func startCmd(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	done := make(chan error, 1)
	spawner() <- spawnReq{cmd: cmd, done: done}
	return <-done
}
