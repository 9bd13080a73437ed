package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeProc writes a /proc tree: one stat per process, /proc/stat and
// /proc/loadavg.
func fakeProc(t *testing.T, procs []Stat) FS {
	t.Helper()
	root := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range procs {
		write(fmt.Sprintf("%d/stat", s.PID), fmt.Sprintf("%d (%s) S %d 1 1 0 -1 0 0 0 0 0 %d %d 0 0 20 0 1 0 5 6 7 %s\n",
			s.PID, s.Comm, s.PPID, s.UTime, s.STime, strings.Repeat("0 ", 30)))
		write(fmt.Sprintf("%d/status", s.PID), "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
	}
	write("stat", "cpu  100 5 50 9000 40 3 2 1 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
	write("loadavg", "1.50 0.75 0.25 1/100 4242\n")
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestReadParsesCommWithParens(t *testing.T) {
	fs := fakeProc(t, []Stat{{PID: 77, Comm: "nginx: worker (x) y", PPID: 76, UTime: 3, STime: 4}})
	got, err := fs.Read(77)
	want := Stat{PID: 77, Comm: "nginx: worker (x) y", PPID: 76, UTime: 3, STime: 4}
	if err != nil || got != want {
		t.Fatalf("Read = %+v, %v; want %+v", got, err, want)
	}
	if got := got.CPU(); got != 70*time.Millisecond {
		t.Errorf("CPU() = %v; want 70ms", got)
	}
	if _, err := fs.Read(78); err == nil {
		t.Error("Read(missing pid): got nil error; want one")
	}
}

func TestTreeAndComm(t *testing.T) {
	stats := []Stat{
		{PID: 1, PPID: 0, UTime: 1000, Comm: "init"},
		{PID: 10, PPID: 1, UTime: 100, STime: 100, Comm: "postgres"}, // root
		{PID: 11, PPID: 10, UTime: 50, Comm: "redis-server"},         // child
		{PID: 12, PPID: 11, STime: 50, Comm: "x"},                    // grandchild
		{PID: 13, PPID: 1, UTime: 500, Comm: "postgres"},             // sibling: not in the tree
	}
	fs := fakeProc(t, stats)
	if got, err := fs.TreeCPU(10); err != nil || got != 3*time.Second {
		t.Errorf("TreeCPU = %v, %v; want 3s", got, err)
	}
	all, err := fs.All()
	if err != nil || len(all) != len(stats) {
		t.Fatalf("All = %d stats, %v; want %d", len(all), err, len(stats))
	}
	if got, want := CommCPU(all, "postgres", "redis-server"), 7500*time.Millisecond; got != want {
		t.Errorf("CommCPU = %v; want %v", got, want)
	}
	if got := fmt.Sprint(Children(all, 1)); got != "[10 13]" {
		t.Errorf("Children(1) = %s; want [10 13]", got)
	}
}

func TestSystemMemoryLoad(t *testing.T) {
	fs := fakeProc(t, []Stat{{PID: 5, Comm: "a", PPID: 1}})
	if got, err := fs.SystemBusy(); err != nil || got != 1610*time.Millisecond {
		t.Errorf("SystemBusy = %v, %v; want 1.61s", got, err)
	}
	if got, err := fs.Memory(5); err != nil || got != (Memory{RSS: 1 << 20, Peak: 2 << 20}) {
		t.Errorf("Memory = %+v, %v; want RSS 1 MiB, peak 2 MiB", got, err)
	}
	if got, err := fs.LoadAvg(); err != nil || got != "1.50 0.75 0.25" {
		t.Errorf("LoadAvg = %q, %v; want %q", got, err, "1.50 0.75 0.25")
	}
}

func TestHostSelf(t *testing.T) {
	fs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fs.Read(os.Getpid())
	if err != nil || s.PID != os.Getpid() || s.PPID != os.Getppid() {
		t.Errorf("Read(self) = %+v, %v; want pid %d ppid %d", s, err, os.Getpid(), os.Getppid())
	}
	if n, err := fs.OpenFDs(os.Getpid()); err != nil || n < 3 {
		t.Errorf("OpenFDs(self) = %d, %v; want >= 3", n, err)
	}
	if b, err := fs.SystemBusy(); err != nil || b <= 0 {
		t.Errorf("SystemBusy() = %v, %v; want > 0", b, err)
	}
}

func TestMachine(t *testing.T) {
	m := HostMachine()
	if m.Kernel == "" || m.MemBytes == 0 {
		t.Errorf("HostMachine = %+v; want a kernel release and memory", m)
	}
}
