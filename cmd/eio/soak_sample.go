package main

import (
	"runtime"
	"time"
)

// sampler records the peak goroutines, RSS and Go heap of this process
// while the soak runs.
type sampler struct {
	res  *soakResult
	quit chan struct{}
	done chan struct{}
}

func startSampler(res *soakResult) *sampler {
	s := &sampler{res: res, quit: make(chan struct{}), done: make(chan struct{})}
	res.goPeak, res.rssPeak, res.heapPeak = res.goBefore, res.rssBefore, res.heapBefore
	go s.run()
	return s
}

func (s *sampler) run() {
	defer close(s.done)
	tick := time.NewTicker(soakSampleEvery)
	defer tick.Stop()
	var ms runtime.MemStats
	for n := 0; ; n++ {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		s.res.goPeak = max(s.res.goPeak, runtime.NumGoroutine())
		s.res.rssPeak = max(s.res.rssPeak, procStatusKB("VmRSS"))
		if n%4 == 0 { // ReadMemStats stops the world: once a second
			runtime.ReadMemStats(&ms)
			s.res.heapPeak = max(s.res.heapPeak, ms.HeapInuse)
		}
	}
}

// stop ends the sampler; its figures are in the result once it returns.
func (s *sampler) stop() {
	close(s.quit)
	<-s.done
}

// afterSample collects garbage and samples goroutines, RSS and heap once
// the goroutines are down to bound or limit has passed.
func afterSample(bound int, limit time.Duration) (goroutines int, rssKB int64, heap uint64) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		settle()
		goroutines = runtime.NumGoroutine()
		if goroutines <= bound || time.Now().After(deadline) {
			break
		}
		<-tick.C
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return goroutines, procStatusKB("VmRSS"), ms.HeapInuse
}
