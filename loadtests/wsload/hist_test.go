package wsload

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	for _, v := range []int64{0, 1, 15, 16, 17, 31, 32, 100, 1000, 123456, 1 << 30} {
		b := bucketOf(v)
		if up := bucketUpper(b); up < v || float64(up-v) > 0.0625*float64(v)+1 {
			t.Errorf("value %d: bucket %d upper %d; want >= value within 6.25 %%", v, b, up)
		}
		if b > 0 && bucketUpper(b-1) >= v {
			t.Errorf("value %d: previous bucket's upper %d >= value", v, bucketUpper(b-1))
		}
	}
}

func TestHistogramMergeQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	parts := make([]*Histogram, 4)
	for i := range parts {
		parts[i] = &Histogram{}
		for range 2500 {
			d := time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
			parts[i].Record(d)
			all = append(all, d)
		}
	}
	// Children send their histograms as JSON; merge what went over the wire.
	var merged Histogram
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Histogram
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		merged.Merge(&back)
	}
	slices.Sort(all)
	if merged.N != uint64(len(all)) {
		t.Fatalf("count: got %d; want %d", merged.N, len(all))
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		want := all[int(q*float64(len(all)))-1]
		got := merged.Quantile(q)
		if got < want-time.Microsecond || float64(got-want) > 0.07*float64(want)+float64(time.Microsecond) {
			t.Errorf("q%.2f: got %v; want %v within 7 %%", q, got, want)
		}
	}
	if merged.Max().Microseconds() != all[len(all)-1].Microseconds() {
		t.Errorf("max: got %v; want %v", merged.Max(), all[len(all)-1])
	}
	var empty Histogram
	if empty.Quantile(0.99) != 0 || empty.Mean() != 0 {
		t.Errorf("empty histogram: got %v, %v; want 0", empty.Quantile(0.99), empty.Mean())
	}
}

func TestHistogramSince(t *testing.T) {
	var h Histogram
	for range 100 {
		h.Record(time.Millisecond)
	}
	prev := h.Clone()
	h.Record(time.Second)
	iv := h.Since(prev)
	if iv.N != 1 || iv.Quantile(0.99) < 900*time.Millisecond || iv.Max() > time.Second {
		t.Errorf("interval: n %d, p99 %v, max %v; want the one 1 s observation", iv.N, iv.Quantile(0.99), iv.Max())
	}
	if all := h.Since(nil); all.N != 101 {
		t.Errorf("since nil: got %d; want 101", all.N)
	}
}
