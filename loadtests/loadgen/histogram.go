package loadgen

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Histogram geometry: values are microseconds; below 256 µs every value has a
// bucket of its own, above that each power of two is split into 128 equal
// buckets, so a bucket is at most 1/128 of its value wide and the midpoint
// reported for a percentile is within 0.4 % of any value in it (two
// significant digits, like HdrHistogram's). Values above MaxValue are
// recorded as MaxValue.
const (
	subBits      = 7
	subCount     = 1 << subBits // 128
	MaxValue     = 60_000_000   // 60 s in µs
	histBuckets  = subCount*(maxExp+1) + subCount
	maxExp       = 26 - subBits - 1 // bits.Len64(MaxValue) - 8
	histUnitName = "us"
)

// Histogram is a log-linear latency histogram from 1 µs to 60 s. It is not
// safe for concurrent use; merge per-goroutine histograms instead.
type Histogram struct {
	counts   []uint64
	lo, hi   int // index range holding non-zero counts (lo > hi when empty)
	n        uint64
	min, max int64
	sum      float64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	return &Histogram{counts: make([]uint64, histBuckets), lo: histBuckets, hi: -1}
}

func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v > MaxValue {
		v = MaxValue
	}
	e := bits.Len64(uint64(v)) - subBits - 1
	if e < 0 {
		e = 0
	}
	return subCount*e + int(v>>uint(e))
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (low, width int64) {
	if i < 2*subCount {
		return int64(i), 1
	}
	e := i/subCount - 1
	return int64(i-subCount*e) << uint(e), 1 << uint(e)
}

// RecordValue adds one value in microseconds.
func (h *Histogram) RecordValue(us int64) {
	if us > MaxValue {
		us = MaxValue
	}
	if us < 0 {
		us = 0
	}
	i := bucketOf(us)
	h.counts[i]++
	if i < h.lo {
		h.lo = i
	}
	if i > h.hi {
		h.hi = i
	}
	if h.n == 0 || us < h.min {
		h.min = us
	}
	if us > h.max {
		h.max = us
	}
	h.n++
	h.sum += float64(us)
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) { h.RecordValue(d.Microseconds()) }

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min and Max are the extreme recorded values in µs (0 when empty).
func (h *Histogram) Min() int64 { return h.min }

// Max is the largest recorded value in µs.
func (h *Histogram) Max() int64 { return h.max }

// Mean is the mean in µs.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Quantile returns the value in µs at quantile q (0..1): the midpoint of the
// bucket holding it, clamped to the recorded min and max.
func (h *Histogram) Quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i := h.lo; i <= h.hi; i++ {
		seen += h.counts[i]
		if seen >= rank {
			low, w := bucketRange(i)
			v := float64(low) + float64(w-1)/2
			return math.Min(math.Max(v, float64(h.min)), float64(h.max))
		}
	}
	return float64(h.max)
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	for i := o.lo; i <= o.hi; i++ {
		h.counts[i] += o.counts[i]
	}
	if o.lo < h.lo {
		h.lo = o.lo
	}
	if o.hi > h.hi {
		h.hi = o.hi
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Reset empties h, touching only the buckets in use.
func (h *Histogram) Reset() {
	if h.hi >= h.lo {
		clear(h.counts[h.lo : h.hi+1])
	}
	h.lo, h.hi, h.n, h.min, h.max, h.sum = histBuckets, -1, 0, 0, 0, 0
}

// Clone returns a copy of h.
func (h *Histogram) Clone() *Histogram {
	c := NewHistogram()
	c.Merge(h)
	return c
}

// histJSON is the serialised form: sparse [bucket, count] pairs.
type histJSON struct {
	Unit    string      `json:"unit"`
	Sub     int         `json:"sub"`
	Count   uint64      `json:"count"`
	Min     int64       `json:"min"`
	Max     int64       `json:"max"`
	Sum     float64     `json:"sum"`
	Buckets [][2]uint64 `json:"buckets"`
}

// MarshalJSON writes the sparse form.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Unit: histUnitName, Sub: subCount, Count: h.n, Min: h.min, Max: h.max, Sum: h.sum, Buckets: [][2]uint64{}}
	for i := h.lo; i <= h.hi; i++ {
		if h.counts[i] != 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), h.counts[i]})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the sparse form.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("cannot parse histogram: %w", err)
	}
	if j.Unit != histUnitName || j.Sub != subCount {
		return fmt.Errorf("cannot parse histogram: unit %q sub %d; want %q %d", j.Unit, j.Sub, histUnitName, subCount)
	}
	*h = *NewHistogram()
	for _, b := range j.Buckets {
		i := int(b[0])
		if i < 0 || i >= histBuckets {
			return fmt.Errorf("cannot parse histogram: bucket %d out of range", i)
		}
		h.counts[i] += b[1]
		h.lo, h.hi = min(h.lo, i), max(h.hi, i)
	}
	h.n, h.min, h.max, h.sum = j.Count, j.Min, j.Max, j.Sum
	return nil
}
