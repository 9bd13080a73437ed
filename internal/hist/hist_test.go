package hist

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func exactQuantile(sorted []int64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return float64(sorted[i])
}

func TestHistogramAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() int64{
		"uniform 1us-1s":  func() int64 { return 1 + rng.Int64N(1_000_000) },
		"lognormal ~2ms":  func() int64 { return int64(math.Exp(rng.NormFloat64()*1.2 + math.Log(2000))) },
		"small 1-300us":   func() int64 { return 1 + rng.Int64N(300) },
		"bimodal 1ms/50s": func() int64 { return []int64{1000, 50_000_000}[rng.IntN(2)] + rng.Int64N(500) },
	}
	for name, gen := range dists {
		h := New()
		vals := make([]int64, 100_000)
		for i := range vals {
			vals[i] = gen()
			h.RecordValue(vals[i])
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
			got, want := h.Quantile(q), exactQuantile(vals, q)
			if rel := math.Abs(got-want) / want; rel > 0.01 {
				t.Errorf("%s: q%v got %v; want %v (±1%%, off by %.2f%%)", name, q, got, want, rel*100)
			}
		}
		if h.Count() != uint64(len(vals)) || h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
			t.Errorf("%s: got count %d min %d max %d; want %d %d %d", name, h.Count(), h.Min(), h.Max(), len(vals), vals[0], vals[len(vals)-1])
		}
	}
}

func TestHistogramClampsAboveMax(t *testing.T) {
	h := New()
	h.RecordValue(MaxValue * 10)
	if got := h.Quantile(1); got != MaxValue {
		t.Errorf("got %v; want %v", got, MaxValue)
	}
}

func TestHistogramMergeEqualsUnion(t *testing.T) {
	a, b, all := New(), New(), New()
	for i := int64(1); i <= 50_000; i++ {
		v := i * 37 % 900_001
		if i%3 == 0 {
			a.RecordValue(v)
		} else {
			b.RecordValue(v)
		}
		all.RecordValue(v)
	}
	a.Merge(b)
	for _, q := range []float64{0.1, 0.5, 0.99, 1} {
		if got, want := a.Quantile(q), all.Quantile(q); got != want {
			t.Errorf("merged q%v = %v; want %v", q, got, want)
		}
	}
	if a.Count() != all.Count() || a.Mean() != all.Mean() {
		t.Errorf("merged count/mean = %d/%v; want %d/%v", a.Count(), a.Mean(), all.Count(), all.Mean())
	}
	a.Reset()
	if a.Count() != 0 || a.Quantile(0.5) != 0 {
		t.Errorf("after Reset got count %d p50 %v; want 0 0", a.Count(), a.Quantile(0.5))
	}
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	h := New()
	for i := int64(0); i < 10_000; i++ {
		h.RecordValue(i * i % 5_000_000)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		if got, want := back.Quantile(q), h.Quantile(q); got != want {
			t.Errorf("round trip q%v = %v; want %v", q, got, want)
		}
	}
	if back.Count() != h.Count() || back.Min() != h.Min() || back.Max() != h.Max() {
		t.Errorf("round trip count/min/max = %d/%d/%d; want %d/%d/%d", back.Count(), back.Min(), back.Max(), h.Count(), h.Min(), h.Max())
	}
	if err := json.Unmarshal([]byte(`{"unit":"ms","sub":128}`), &back); err == nil {
		t.Error("unmarshal of another unit = nil error; want an error")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := New()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.RecordValue(int64(i % 1_000_000))
	}
}

func TestZeroValueAndSince(t *testing.T) {
	var h Histogram
	if got := h.Quantile(0.5); got != 0 {
		t.Fatalf("empty Quantile = %v; want 0", got)
	}
	if b, err := json.Marshal(&h); err != nil || len(b) == 0 {
		t.Fatalf("Marshal(zero) = %s, %v; want the empty form", b, err)
	}
	for us := int64(1); us <= 100; us++ {
		h.RecordValue(us)
	}
	snap := h.Clone()
	for range 10 {
		h.RecordValue(5000)
	}
	d := h.Since(snap)
	if d.Count() != 10 {
		t.Fatalf("Since count = %d; want 10", d.Count())
	}
	if got := d.Quantile(0.5); math.Abs(got-5000) > 5000*0.004 {
		t.Errorf("Since p50 = %v; want 5000 within 0.4%%", got)
	}
	if got := d.Mean(); got != 5000 {
		t.Errorf("Since mean = %v; want 5000", got)
	}
	if all := h.Since(nil); all.Count() != 110 || all.Max() != 5000 {
		t.Errorf("Since(nil) = count %d max %d; want 110, 5000", all.Count(), all.Max())
	}
	if got := d.QuantileDuration(1).Microseconds(); got != 5000 {
		t.Errorf("QuantileDuration(1) = %dus; want 5000", got)
	}
}
