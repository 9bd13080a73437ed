package tuning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Result is one setting of a check.
type Result struct {
	ID      string `json:"key"`
	Kind    string `json:"kind"`
	Want    string `json:"want"`
	Live    string `json:"live"`
	Compare string `json:"compare"`
	Status  string `json:"status"`
	Note    string `json:"note,omitempty"`
}

// Report is a check of one plan against the live host.
type Report struct {
	Profile string   `json:"profile"`
	OK      bool     `json:"ok"`
	Results []Result `json:"results"`
}

// Check reads every item of pl on sys and compares it. Unknown values do
// not fail a check; low and high do.
func Check(ctx context.Context, pl Plan, sys System) (Report, error) {
	rep := Report{Profile: pl.Profile.Name(), OK: true}
	for _, it := range pl.Items {
		live, err := sys.Read(ctx, it)
		r := Result{ID: it.ID(), Kind: it.Kind, Want: it.Want, Live: live, Compare: it.Compare}
		switch {
		case errors.Is(err, ErrNotHere):
			r.Status, r.Note = StatusUnknown, "not readable here"
		case err != nil:
			return Report{}, err
		default:
			r.Status = Compare(it.Compare, it.Want, live)
		}
		if r.Status == StatusLow || r.Status == StatusHigh {
			rep.OK = false
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

// WriteText prints one line per setting: status, key, want, live.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "profile %s\n", r.Profile)
	for _, x := range r.Results {
		live := x.Live
		if live == "" {
			live = "-"
		}
		fmt.Fprintf(&b, "%-7s %-46s want %s (%s), live %s\n", x.Status, x.ID, x.Want, x.Compare, live)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WritePrometheus writes the node-exporter textfile format: one
// tuning_setting_ok{profile,key} gauge per setting, 1 ok, 0 off, NaN unknown.
func (r Report) WritePrometheus(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# HELP tuning_setting_ok 1 when the live host holds the tuning profile's value, 0 when it is off, NaN when it cannot be read.\n")
	b.WriteString("# TYPE tuning_setting_ok gauge\n")
	for _, x := range r.Results {
		v := 0.0
		switch x.Status {
		case StatusOK:
			v = 1
		case StatusUnknown:
			v = math.NaN()
		}
		fmt.Fprintf(&b, "tuning_setting_ok{profile=%q,key=%q} %v\n", r.Profile, x.ID, v)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
