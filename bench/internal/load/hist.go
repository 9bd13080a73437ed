package load

import (
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram in microseconds: 16 sub-buckets
// per power of two (about 6 % resolution), no allocation per record.
type hist struct {
	counts [64 * 16]int64
	n      int64
}

func bucketOf(us uint64) int {
	if us < 16 {
		return int(us)
	}
	e := bits.Len64(us) - 5 // us >> e is in [16, 32)
	return (e+1)*16 + int(us>>uint(e)) - 16
}

// lowerBound is the smallest microsecond value of bucket b.
func lowerBound(b int) uint64 {
	if b < 16 {
		return uint64(b)
	}
	e := b/16 - 1
	return uint64(16+b%16) << uint(e)
}

func (h *hist) record(d time.Duration) {
	us := uint64(d / time.Microsecond)
	b := bucketOf(us)
	if b >= len(h.counts) {
		b = len(h.counts) - 1
	}
	h.counts[b]++
	h.n++
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile answers the lower bound of the bucket holding quantile q.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n-1)) + 1
	var seen int64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(lowerBound(b)) * time.Microsecond
		}
	}
	return 0
}
