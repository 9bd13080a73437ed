package proof

import (
	"math"
	"testing"
)

func TestMeasurable(t *testing.T) {
	tests := []struct {
		a, b []float64
		want bool
	}{
		{[]float64{100, 102}, []float64{101, 103}, false}, // overlapping rounds
		{[]float64{100, 101}, []float64{102, 103}, false}, // apart but within 5 %
		{[]float64{100, 110}, []float64{200, 210}, true},
		{[]float64{0, 0}, []float64{16000, 15000}, true},
	}
	for _, tc := range tests {
		if got := Measurable(statOf(tc.a), statOf(tc.b)); got != tc.want {
			t.Errorf("Measurable(%v, %v) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
	}
	if r := Ratio(0, 0); r != 1 {
		t.Errorf("Ratio(0,0) = %v; want 1", r)
	}
	if r := Ratio(3, 0); !math.IsNaN(r) {
		t.Errorf("Ratio(3,0) = %v; want NaN", r)
	}
}
