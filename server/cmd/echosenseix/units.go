package main

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// Millis is a duration set as a plain integer of milliseconds
// (CLUSTER_RESTART_DELAY=1000 is one second), the unit the scaling guide
// uses. It prints as that integer.
type Millis time.Duration

// Seconds is a duration set as a plain integer of seconds (SESSION_TTL=86400
// is one day). It prints as that integer.
type Seconds time.Duration

// errNotInteger is the parse error of a duration without its integer.
var errNotInteger = errors.New("not an integer")

// UnmarshalText reads an integer of milliseconds.
func (d *Millis) UnmarshalText(b []byte) error {
	v, err := parseUnits(string(b), time.Millisecond)
	*d = Millis(v)
	return err
}

// UnmarshalText reads an integer of seconds.
func (d *Seconds) UnmarshalText(b []byte) error {
	v, err := parseUnits(string(b), time.Second)
	*d = Seconds(v)
	return err
}

// D is the duration.
func (d Millis) D() time.Duration { return time.Duration(d) }

// D is the duration.
func (d Seconds) D() time.Duration { return time.Duration(d) }

// String is the integer of milliseconds, as it is set.
func (d Millis) String() string {
	return strconv.FormatInt(int64(time.Duration(d)/time.Millisecond), 10)
}

// String is the integer of seconds, as it is set.
func (d Seconds) String() string { return strconv.FormatInt(int64(time.Duration(d)/time.Second), 10) }

// parseUnits reads s, a plain integer, as that many units; a value whose
// duration overflows is refused like a non-integer.
func parseUnits(s string, unit time.Duration) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
		return 0, errNotInteger
	}
	return time.Duration(n) * unit, nil
}
