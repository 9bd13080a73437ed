// Package hist is the latency histogram every load tool and benchmark
// reports from: log-linear from 1 µs to 60 s with two significant digits,
// mergeable across goroutines and processes (the merged histogram of several
// load-generator processes is exactly the histogram of all their values),
// and a sparse JSON form that round-trips.
//
// HdrHistogram (github.com/HdrHistogram/hdrhistogram-go) is the library this
// would be; it is not among the modules this project may fetch, so the same
// geometry is written here once.
package hist

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

// Histogram is a log-linear latency histogram from 1 µs to 60 s. The zero
// value is ready to use (New allocates up front instead). It is not safe for
// concurrent use; merge per-goroutine histograms instead.
type Histogram struct {
	counts   []uint64
	lo, hi   int // index range holding non-zero counts (lo > hi when empty)
	n        uint64
	min, max int64
	sum      float64
}

// NewHistogram returns an empty histogram.
func New() *Histogram {
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

// init allocates the buckets of a zero Histogram.
func (h *Histogram) init() {
	if h.counts == nil {
		h.counts, h.lo, h.hi = make([]uint64, histBuckets), histBuckets, -1
	}
}

// RecordValue adds one value in microseconds.
func (h *Histogram) RecordValue(us int64) {
	h.init()
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
	if h.n == 0 || h.counts == nil {
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
	h.init()
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
	h.init()
	if h.hi >= h.lo {
		clear(h.counts[h.lo : h.hi+1])
	}
	h.lo, h.hi, h.n, h.min, h.max, h.sum = histBuckets, -1, 0, 0, 0, 0
}

// Clone returns a copy of h.
func (h *Histogram) Clone() *Histogram {
	c := New()
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
	for i := h.lo; i <= h.hi && h.counts != nil; i++ {
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
	*h = *New()
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

// Since returns the values of h not in prev, an earlier snapshot of the same
// cumulative histogram (nil: all of h). Its min and max are the bounds of
// its lowest and highest buckets, clamped to h's.
func (h *Histogram) Since(prev *Histogram) *Histogram {
	d := New()
	if h.n == 0 || h.counts == nil {
		return d
	}
	for i := h.lo; i <= h.hi; i++ {
		c := h.counts[i]
		if prev != nil && prev.counts != nil {
			c -= min(c, prev.counts[i])
		}
		if c == 0 {
			continue
		}
		d.counts[i] = c
		d.n += c
		d.lo, d.hi = min(d.lo, i), max(d.hi, i)
	}
	if d.n == 0 {
		return d
	}
	low, _ := bucketRange(d.lo)
	top, w := bucketRange(d.hi)
	d.min, d.max = max(low, h.min), min(top+w-1, h.max)
	d.sum = h.sum
	if prev != nil {
		d.sum -= prev.sum
	}
	return d
}

// QuantileDuration is Quantile as a duration.
func (h *Histogram) QuantileDuration(q float64) time.Duration {
	return time.Duration(h.Quantile(q) * float64(time.Microsecond))
}
