package tuning

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot writes /proc/sys (and /sys) files under a temp dir: for each
// item of pl the value value(it) gives ("" leaves the file out).
func fakeRoot(tb testing.TB, pl Plan, value func(Item) string) string {
	tb.Helper()
	root := tb.TempDir()
	sys := System{Root: root}
	for _, it := range pl.Items {
		v := value(it)
		if v == "" || (it.Kind != KindSysctl && it.Kind != KindSysfs) {
			continue
		}
		p := sys.path(it.Key)
		if it.Kind == KindSysfs {
			p = sys.sysfsPath(it.Key)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

func sysctlPlan(tb testing.TB) Plan { return mustPlan(tb, "10k", "app", ref16, "sysctl") }

func TestCheckDetectsWrongValue(t *testing.T) {
	pl := sysctlPlan(t)
	const wrong = "net.core.somaxconn"
	root := fakeRoot(t, pl, func(it Item) string {
		if it.Key == wrong {
			return "128"
		}
		return it.Want
	})
	rep, err := Check(context.Background(), pl, System{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatalf("check: got OK with %s = 128; want off", wrong)
	}
	for _, r := range rep.Results {
		want := StatusOK
		if r.ID == wrong {
			want = StatusLow
		}
		if r.Status != want {
			t.Errorf("%s: got %s (live %q); want %s", r.ID, r.Status, r.Live, want)
		}
	}
}

func TestCheckAllHold(t *testing.T) {
	pl := sysctlPlan(t)
	root := fakeRoot(t, pl, func(it Item) string { return it.Want })
	rep, err := Check(context.Background(), pl, System{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("check: got off with every value as planned: %+v", rep.Results)
	}
	var b strings.Builder
	if err := rep.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `tuning_setting_ok{profile="10k-app",key="net.core.somaxconn"} 1`) {
		t.Errorf("prometheus output lacks the somaxconn gauge:\n%s", b.String())
	}
}

func snapshot(tb testing.TB, root string) map[string]string {
	tb.Helper()
	m := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[strings.TrimPrefix(p, root)] = string(b) + "|" + info.Mode().String()
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestApplyDryRunChangesNothing(t *testing.T) {
	pl := sysctlPlan(t)
	root := fakeRoot(t, pl, func(Item) string { return "1" })
	before := snapshot(t, root)
	var out strings.Builder
	err := Apply(context.Background(), pl, System{Root: root}, ApplyOptions{Dest: root, DryRun: true, Root: true, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, root); len(after) != len(before) {
		t.Errorf("dry run: %d files before, %d after", len(before), len(after))
	} else {
		for k, v := range before {
			if after[k] != v {
				t.Errorf("dry run changed %s: %q -> %q", k, v, after[k])
			}
		}
	}
	if !strings.Contains(out.String(), "would set net.core.somaxconn 1 -> 16384") {
		t.Errorf("dry run output lacks the change it would make:\n%s", out.String())
	}
}

func TestApplyTwiceRevertRestoresFirstState(t *testing.T) {
	pl := sysctlPlan(t)
	root := fakeRoot(t, pl, func(it Item) string {
		switch it.Key {
		case "fs.file-max":
			return "9999999" // above the plan: must be kept
		case "net.ipv4.tcp_tw_reuse":
			return "2" // the kernel default apply leaves alone
		}
		return "1"
	})
	existing := filepath.Join(root, "etc/sysctl.d/60-echosenseix-app.conf")
	if err := os.MkdirAll(filepath.Dir(existing), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(existing, []byte("# what was here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	sys, opts := System{Root: root}, ApplyOptions{Dest: root, Root: true, Out: io.Discard}
	for i := 0; i < 2; i++ {
		if err := Apply(context.Background(), pl, sys, opts); err != nil {
			t.Fatalf("apply %d: %v", i+1, err)
		}
	}
	rep, err := Check(context.Background(), pl, sys)
	if err != nil || !rep.OK {
		t.Fatalf("check after apply: ok=%v err=%v %+v", rep.OK, err, rep.Results)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "proc/sys/fs/file-max")); strings.TrimSpace(string(b)) != "9999999" {
		t.Errorf("fs.file-max: got %q; want the higher live value kept", b)
	}
	if err := Revert(context.Background(), root, sys, io.Discard); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, root)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("after revert %s: got %q; want %q", k, after[k], v)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("after revert %s is left behind", k)
		}
	}
	if err := Revert(context.Background(), root, sys, io.Discard); !errors.Is(err, ErrNothingToRevert) {
		t.Errorf("second revert: got %v; want ErrNothingToRevert", err)
	}
}
