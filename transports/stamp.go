package transports

import (
	"sync/atomic"
	"time"
)

// stampSeq starts at the process's start time so that values differ
// across processes as well as across requests.
var stampSeq atomic.Uint64

func init() { stampSeq.Store(uint64(time.Now().UnixNano() / int64(time.Millisecond))) }
