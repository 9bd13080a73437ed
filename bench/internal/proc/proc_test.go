package proc

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		line string
		want Stat
		ok   bool
	}{
		{"4242 (echosenseix) S 1 4242 4242 0 -1 4194560 1024 0 0 0 250 75 0 0 20 0 9 0 123 4567 89 18446744073709551615",
			Stat{PID: 4242, Comm: "echosenseix", PPID: 1, UTime: 250, STime: 75}, true},
		{"77 (nginx: worker (x) y) R 76 76 76 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 6 7",
			Stat{PID: 77, Comm: "nginx: worker (x) y", PPID: 76, UTime: 3, STime: 4}, true},
		{"garbage", Stat{}, false},
		{"12 (short) S 1 2 3", Stat{}, false},
	}
	for _, tt := range tests {
		got, err := ParseStat([]byte(tt.line))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v, ok=%v", tt.line, got, err, tt.want, tt.ok)
		}
	}
	if got := (Stat{UTime: 250, STime: 75}).CPU(); got != 3250*time.Millisecond {
		t.Errorf("CPU() = %v; want 3.25s", got)
	}
}

func TestSumTree(t *testing.T) {
	stats := []Stat{
		{PID: 1, PPID: 0, UTime: 1000},
		{PID: 10, PPID: 1, UTime: 100, STime: 100}, // root
		{PID: 11, PPID: 10, UTime: 50},             // child
		{PID: 12, PPID: 11, STime: 50},             // grandchild
		{PID: 13, PPID: 1, UTime: 500},             // sibling: not counted
	}
	if got, want := SumTree(stats, 10), 3*time.Second; got != want {
		t.Errorf("SumTree = %v; want %v", got, want)
	}
	stats[1].Comm, stats[4].Comm, stats[2].Comm = "postgres", "postgres", "redis-server"
	if got, want := CommCPU(stats, "postgres", "redis-server"), 7500*time.Millisecond; got != want {
		t.Errorf("CommCPU = %v; want %v", got, want)
	}
}

func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil || s.PID != os.Getpid() || s.PPID != os.Getppid() {
		t.Errorf("Read(self) = %+v, %v; want pid %d ppid %d", s, err, os.Getpid(), os.Getppid())
	}
	if _, err := TreeCPU(os.Getpid()); err != nil {
		t.Errorf("TreeCPU(self): %v", err)
	}
}

func TestParseSystemBusy(t *testing.T) {
	got, err := ParseSystemBusy([]byte("cpu  100 5 50 9000 40 3 2 1 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"))
	if want := 1610 * time.Millisecond; err != nil || got != want {
		t.Errorf("ParseSystemBusy = %v, %v; want %v", got, err, want)
	}
	if _, err := ParseSystemBusy([]byte("intr 1 2 3")); err == nil {
		t.Error("ParseSystemBusy(intr): got nil error; want one")
	}
	if b, err := SystemBusy(); err != nil || b <= 0 {
		t.Errorf("SystemBusy() = %v, %v; want > 0", b, err)
	}
}
