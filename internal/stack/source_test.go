package stack

import (
	"errors"
	"strings"
	"testing"
)

// TestChoose: the environment's URL wins without asking anything; else a
// container only when Docker answers; else the local binaries; with none
// the error names both reasons.
func TestChoose(t *testing.T) {
	ok := func() error { return nil }
	no := func(why string) func() error { return func() error { return errors.New(why) } }
	never := func() error { t.Error("probe asked although the environment has a URL"); return nil }
	for _, tc := range []struct {
		name    string
		env     string
		p       probes
		want    Source
		wantErr []string
	}{
		{"env wins", "postgres://x", probes{docker: never, binary: never}, FromEnv, nil},
		{"docker answers", "", probes{docker: ok, binary: ok}, FromContainer, nil},
		{"no docker, binaries", "", probes{docker: no("socket refused"), binary: ok}, FromBinary, nil},
		{"nothing", "", probes{docker: no("socket refused"), binary: no("no initdb binary")}, "", []string{"socket refused", "no initdb binary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := choose(tc.env, tc.p)
			if got != tc.want {
				t.Errorf("choose = %q; want %q", got, tc.want)
			}
			if len(tc.wantErr) == 0 && err != nil {
				t.Errorf("choose error = %v; want none", err)
			}
			for _, w := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("choose error = %v; want it to name %q", err, w)
				}
			}
		})
	}
}

// TestDockerAnswersHere: the real check against this machine's engine.
// Without one it must answer an error quickly (so the binaries are used),
// with one it must answer nil; either way it returns within DockerTimeout.
func TestDockerAnswersHere(t *testing.T) {
	err := dockerAnswers()
	t.Logf("docker engine: %v", err)
	if err == nil {
		return
	}
	if got, _ := choose("", probes{docker: dockerAnswers, binary: func() error { return nil }}); got != FromBinary {
		t.Errorf("without an engine choose = %q; want %q", got, FromBinary)
	}
}
