package tuning

import "testing"

func TestCompare(t *testing.T) {
	cases := []struct{ mode, want, live, status string }{
		{CompareMin, "16384", "16384", StatusOK},
		{CompareMin, "16384", "65535", StatusOK},
		{CompareMin, "16384", "4096", StatusLow},
		{CompareMax, "15", "60", StatusHigh},
		{CompareMax, "15", "10", StatusOK},
		{CompareEqual, "0", "1", StatusHigh},
		{CompareEqual, "2", "2", StatusOK},
		{CompareMin, "4096 131072 16777216", "4096\t131072\t33554432", StatusOK},
		{CompareMin, "4096 16384 16777216", "4096 16384 4194304", StatusLow},
		{CompareRange, "10240 65535", "32768 60999", StatusLow},
		{CompareRange, "10240 65535", "1024 65535", StatusOK},
		{CompareEqual, "4GB", "4294967296", StatusOK},
		{CompareEqual, "16MB", "4194304", StatusLow},
		{CompareEqual, "try", "try", StatusOK},
		{CompareEqual, "allkeys-lru", "noeviction", StatusLow},
		{CompareEqual, "12GB", "12884901888", StatusOK},
		{CompareMin, "pubsub 64mb 16mb 60", "pubsub 33554432 8388608 60", StatusLow},
		{CompareMin, "pubsub 64mb 16mb 60", "pubsub 67108864 16777216 60", StatusOK},
		{CompareEqual, "1.1", "1.1", StatusOK},
		{CompareEqual, "1.1", "4", StatusHigh},
		{CompareMin, "16384", "", StatusUnknown},
	}
	for _, c := range cases {
		if got := Compare(c.mode, c.want, c.live); got != c.status {
			t.Errorf("Compare(%s, %q, %q): got %s; want %s", c.mode, c.want, c.live, got, c.status)
		}
	}
}
