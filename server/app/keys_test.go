package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/app"
	"github.com/echosenseix/echosenseix/server/storetest"
)

// TestWritesDropTheirKeys runs each write against a recording cache and
// checks it drops exactly the keys written out here by hand, and that those
// are the drop table's keys for the write: a write (or a table row) that
// forgets a key, or drops one more, fails.
func TestWritesDropTheirKeys(t *testing.T) {
	tests := []struct {
		op  app.Op
		run func(t *testing.T, e *env) (target app.Target, want []string)
	}{
		{app.OpCreateAgent, func(t *testing.T, e *env) (app.Target, []string) {
			a := &server.Agent{OrganizationID: e.org.ID, Name: "Bea", ExternalAgentID: "ext-new", IsActive: true}
			if err := e.svc.CreateAgent(tctx(t), a); err != nil {
				t.Fatalf("CreateAgent = %v; want nil", err)
			}
			o := e.org.ID
			return app.Target{Org: o, Agent: a.ID, ExtID: "ext-new"},
				[]string{"agents:" + o, "agent:" + o + ":" + a.ID, "webhookagent:ext-new", "analytics:" + o + ":"}
		}},
		{app.OpUpdateAgent, func(t *testing.T, e *env) (app.Target, []string) {
			moved, prev := "ext-moved", e.agent.ExternalAgentID
			if _, err := e.svc.UpdateAgent(tctx(t), e.org.ID, e.agent.ID, &server.AgentPatch{ExternalAgentID: &moved}); err != nil {
				t.Fatalf("UpdateAgent = %v; want nil", err)
			}
			o, a := e.org.ID, e.agent.ID
			return app.Target{Org: o, Agent: a, PrevExtID: prev, ExtID: moved},
				[]string{"agents:" + o, "agent:" + o + ":" + a, "webhookagent:" + prev, "webhookagent:ext-moved",
					"analytics:" + o + ":", "analytics:" + o + ":" + a}
		}},
		{app.OpDeleteAgent, func(t *testing.T, e *env) (app.Target, []string) {
			if err := e.svc.DeleteAgent(tctx(t), e.org.ID, e.agent.ID); err != nil {
				t.Fatalf("DeleteAgent = %v; want nil", err)
			}
			o, a := e.org.ID, e.agent.ID
			return app.Target{Org: o, Agent: a, ExtID: e.agent.ExternalAgentID},
				[]string{"agents:" + o, "agent:" + o + ":" + a, "webhookagent:" + e.agent.ExternalAgentID,
					"analytics:" + o + ":", "analytics:" + o + ":" + a}
		}},
		{app.OpIngestCall, func(t *testing.T, e *env) (app.Target, []string) {
			l := storetest.NewCallLog(e.agent, "conv-1", 30, 0.5, time.Now())
			if res, err := e.svc.IngestCall(tctx(t), l); err != nil || !res.Created {
				t.Fatalf("IngestCall = %+v, %v; want created", res, err)
			}
			o, a := e.org.ID, e.agent.ID
			return app.Target{Org: o, Agent: a},
				[]string{"analytics:" + o + ":", "analytics:" + o + ":" + a, "calllogs:" + o + ":", "calllogs:" + o + ":" + a}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			e := newEnv(t)
			e.cache.take()
			target, want := tt.run(t, e)
			slices.Sort(want)
			if got := e.cache.take(); !slices.Equal(got, want) {
				t.Errorf("%s dropped %q; want %q", tt.op, got, want)
			}
			table := tt.op.Keys(target)
			slices.Sort(table)
			if !slices.Equal(table, want) {
				t.Errorf("drop table for %s names %q; want %q", tt.op, table, want)
			}
		})
	}
}

// TestDuplicateCallDropsNothing: a second delivery of a stored conversation
// changes nothing, so it drops no key and publishes nothing.
func TestDuplicateCallDropsNothing(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.IngestCall(tctx(t), storetest.NewCallLog(e.agent, "conv-dup", 30, 0.5, time.Now())); err != nil {
		t.Fatalf("IngestCall = %v; want nil", err)
	}
	e.cache.take()
	res, err := e.svc.IngestCall(tctx(t), storetest.NewCallLog(e.agent, "conv-dup", 30, 0.5, time.Now()))
	if err != nil || res.Created {
		t.Fatalf("IngestCall(duplicate) = %+v, %v; want not created", res, err)
	}
	if got := e.cache.take(); len(got) != 0 {
		t.Errorf("duplicate dropped %q; want none", got)
	}
	if got := len(e.bus.published()); got != 1 {
		t.Errorf("events published = %d; want 1 (the first delivery only)", got)
	}
}

// TestEveryKeyBuilderIsInTheTable parses keys.go: every function there that
// builds a key (its name ends in Key and it answers a string) must be named
// by a drop-table row or listed as never dropped, and every builder the
// table names must exist. A new cached read whose key no write drops fails
// here until the table says which writes drop it.
func TestEveryKeyBuilderIsInTheTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatalf("cannot parse keys.go: %v", err)
	}
	var builders []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !strings.HasSuffix(fn.Name.Name, "Key") || fn.Type.Results == nil {
			continue
		}
		if r, ok := fn.Type.Results.List[0].Type.(*ast.Ident); ok && r.Name == "string" {
			builders = append(builders, fn.Name.Name)
		}
	}
	if len(builders) < 6 {
		t.Fatalf("found key builders %q in keys.go; want at least 6", builders)
	}
	covered := app.TableBuilders()
	for _, b := range builders {
		if !slices.Contains(covered, b) {
			t.Errorf("key builder %s is in no drop-table row and not listed as never dropped", b)
		}
	}
	for _, b := range covered {
		if !slices.Contains(builders, b) {
			t.Errorf("drop table names %s; keys.go has no such key builder", b)
		}
	}
}
