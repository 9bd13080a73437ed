package wsload

import (
	"math"
	"math/bits"
	"time"
)

// Histogram is a mergeable log-linear latency histogram in microseconds:
// 16 sub-buckets per power of two (relative error under 6.25 %) up to
// 2^40 µs. The zero value is ready to use; it is not safe for concurrent use.
type Histogram struct {
	Counts map[int]uint64 `json:"counts,omitempty"` // bucket index -> count (sparse)
	N      uint64         `json:"n"`
	MaxUS  int64          `json:"maxUs"`
	SumUS  int64          `json:"sumUs"`
}

const subBits = 4 // 16 sub-buckets per power of two

// bucketOf answers the bucket index of v µs (v >= 0).
func bucketOf(v int64) int {
	if v < 1<<subBits {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 // v in [2^e, 2^(e+1))
	sub := int(v>>(e-subBits)) & (1<<subBits - 1)
	return (e-subBits+1)<<subBits + sub
}

// bucketUpper answers the largest value of bucket b.
func bucketUpper(b int) int64 {
	if b < 1<<subBits {
		return int64(b)
	}
	e := b>>subBits + subBits - 1
	sub := int64(b & (1<<subBits - 1))
	lo := int64(1)<<e + sub<<(e-subBits)
	return lo + int64(1)<<(e-subBits) - 1
}

// Record adds one observation; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := max(d.Microseconds(), 0)
	if h.Counts == nil {
		h.Counts = make(map[int]uint64)
	}
	h.Counts[bucketOf(us)]++
	h.N++
	h.SumUS += us
	h.MaxUS = max(h.MaxUS, us)
}

// Merge adds o's observations to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.N == 0 {
		return
	}
	if h.Counts == nil {
		h.Counts = make(map[int]uint64, len(o.Counts))
	}
	for b, c := range o.Counts {
		h.Counts[b] += c
	}
	h.N += o.N
	h.SumUS += o.SumUS
	h.MaxUS = max(h.MaxUS, o.MaxUS)
}

// Clone answers a copy of h.
func (h *Histogram) Clone() *Histogram {
	c := &Histogram{}
	c.Merge(h)
	return c
}

// Quantile answers the q-quantile (0 < q <= 1) as the upper bound of its
// bucket, capped at the maximum; 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.N == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.N)))
	rank = min(max(rank, 1), h.N)
	top := 0
	for b := range h.Counts {
		top = max(top, b)
	}
	var seen uint64
	for b := 0; b <= top; b++ {
		seen += h.Counts[b]
		if seen >= rank {
			return time.Duration(min(bucketUpper(b), h.MaxUS)) * time.Microsecond
		}
	}
	return time.Duration(h.MaxUS) * time.Microsecond
}

// Max answers the largest observation.
func (h *Histogram) Max() time.Duration { return time.Duration(h.MaxUS) * time.Microsecond }

// Mean answers the mean observation.
func (h *Histogram) Mean() time.Duration {
	if h.N == 0 {
		return 0
	}
	return time.Duration(h.SumUS/int64(h.N)) * time.Microsecond
}

// Since answers the observations of h not in prev, an earlier snapshot of
// the same cumulative histogram. Its maximum is the upper bound of its
// highest bucket.
func (h *Histogram) Since(prev *Histogram) *Histogram {
	d := &Histogram{Counts: map[int]uint64{}}
	top := -1
	for b, c := range h.Counts {
		var p uint64
		if prev != nil {
			p = prev.Counts[b]
		}
		if c > p {
			d.Counts[b] = c - p
			d.N += c - p
			top = max(top, b)
		}
	}
	if top >= 0 {
		d.MaxUS = min(bucketUpper(top), h.MaxUS)
	}
	d.SumUS = h.SumUS
	if prev != nil {
		d.SumUS -= prev.SumUS
	}
	return d
}
