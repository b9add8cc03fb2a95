package main

import (
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"
)

// sampler records, while the soak runs, the peak goroutines, RSS and Go
// heap of this process; how late this process's timers fire (a starved
// client misses heartbeats however fast the server is); and how long the
// server takes to answer a plain HTTP request (a busy Node event loop
// sends its pings late).
type sampler struct {
	res    *soakResult
	url    string // the peer, for /peer/sessions; "" for none
	quit   chan struct{}
	wg     sync.WaitGroup
	probes []time.Duration
}

// soakLagTick is the period of the timer-lateness probe.
const soakLagTick = 20 * time.Millisecond

func startSampler(res *soakResult, url string) *sampler {
	s := &sampler{res: res, url: url, quit: make(chan struct{})}
	res.goPeak, res.rssPeak, res.heapPeak = res.goBefore, res.rssBefore, res.heapBefore
	s.wg.Go(s.memory)
	s.wg.Go(s.lag)
	if url != "" {
		s.wg.Go(s.probe)
	}
	return s
}

func (s *sampler) memory() {
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

// lag records how late a soakLagTick ticker is delivered.
func (s *sampler) lag() {
	tick := time.NewTicker(soakLagTick)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case at := <-tick.C:
			late := time.Since(at)
			s.res.lagMax = max(s.res.lagMax, late)
			if late > 100*time.Millisecond {
				s.res.lagOver100++
			}
		}
	}
}

// probe times a GET of the peer's /peer/sessions every soakSampleEvery.
func (s *sampler) probe() {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tick := time.NewTicker(soakSampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		start := time.Now()
		resp, err := hc.Get(s.url + "/peer/sessions")
		if err != nil {
			continue
		}
		_ = resp.Body.Close()
		s.probes = append(s.probes, time.Since(start))
	}
}

// stop ends the sampler; its figures are in the result once it returns.
func (s *sampler) stop() {
	close(s.quit)
	s.wg.Wait()
	slices.Sort(s.probes)
	s.res.serverProbes = s.probes
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
