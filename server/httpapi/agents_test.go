package httpapi_test

import (
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

func TestAgentsCRUD(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			w := e.as(e.a, "POST", "/api/agents", `{"name":"Sales","externalAgentId":"ext-sales-`+uniq()+`","settings":{"k":1}}`)
			if w.Code != 201 {
				t.Fatalf("create = %d %s; want 201", w.Code, w.Body.String())
			}
			a := decode[server.Agent](t, w)
			if a.OrganizationID != e.a.org.ID || a.Language != "en" || !a.IsActive || a.ID == "" {
				t.Errorf("created = %+v; want org %s, defaults, active", a, e.a.org.ID)
			}
			// The list is cached, then invalidated by the write.
			list := decode[[]server.Agent](t, e.as(e.a, "GET", "/api/agents", ""))
			if len(list) != 2 {
				t.Fatalf("list len = %d; want 2", len(list))
			}
			got := decode[server.Agent](t, e.as(e.a, "GET", "/api/agents/"+a.ID, ""))
			if got.Name != "Sales" {
				t.Errorf("get name = %q; want Sales", got.Name)
			}
			w = e.as(e.a, "PATCH", "/api/agents/"+a.ID, `{"name":"Support","isActive":false}`)
			if w.Code != 200 {
				t.Fatalf("patch = %d %s", w.Code, w.Body.String())
			}
			got = decode[server.Agent](t, e.as(e.a, "GET", "/api/agents/"+a.ID, ""))
			if got.Name != "Support" || got.IsActive {
				t.Errorf("after patch get = %+v; want Support inactive (cache invalidated)", got)
			}
			list = decode[[]server.Agent](t, e.as(e.a, "GET", "/api/agents", ""))
			if list[len(list)-1].Name != "Support" {
				t.Errorf("list after patch = %+v; want updated name", list)
			}
			if w := e.as(e.a, "DELETE", "/api/agents/"+a.ID, ""); w.Code != 204 {
				t.Fatalf("delete = %d %s; want 204", w.Code, w.Body.String())
			}
			wantError(t, e.as(e.a, "GET", "/api/agents/"+a.ID, ""), 404)
			if n := len(decode[[]server.Agent](t, e.as(e.a, "GET", "/api/agents", ""))); n != 1 {
				t.Errorf("list after delete len = %d; want 1", n)
			}
		})
	}
}

func TestAgentsBadInput(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			id := e.a.agent.ID
			tests := []struct {
				method, path, body string
				status             int
				mention            string
			}{
				{"POST", "/api/agents", `{"name":`, 400, "malformed"},
				{"POST", "/api/agents", `{"name":5}`, 400, "name"},
				{"POST", "/api/agents", `{"description":"x"}`, 400, "name"},
				{"POST", "/api/agents", `{"name":"x","bogus":1}`, 400, "bogus"},
				{"POST", "/api/agents", `{"name":"x","isActive":"yes"}`, 400, "isActive"},
				{"POST", "/api/agents", `{"name":"x","settings":[1]}`, 400, "settings"},
				{"POST", "/api/agents", `{"name":"x","externalAgentId":"` + e.b.agent.ExternalAgentID + `"}`, 409, ""},
				{"POST", "/api/agents", `{"name":"x","settings":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, 400, "nested"},
				{"PATCH", "/api/agents/" + id, `{"name":""}`, 400, "name"},
				{"PATCH", "/api/agents/" + id, `{"name":true}`, 400, "name"},
				{"PATCH", "/api/agents/" + id, `{"nme":"x"}`, 400, "nme"},
				{"PATCH", "/api/agents/" + id, `nope`, 400, ""},
				{"GET", "/api/agents/not-a-uuid", ``, 404, ""},
				{"GET", "/api/agents/00000000-0000-0000-0000-000000000000", ``, 404, ""},
				{"PATCH", "/api/agents/00000000-0000-0000-0000-000000000000", `{"name":"x"}`, 404, ""},
				{"DELETE", "/api/agents/00000000-0000-0000-0000-000000000000", ``, 404, ""},
			}
			for _, tt := range tests {
				w := e.as(e.a, tt.method, tt.path, tt.body)
				if w.Code != tt.status {
					t.Errorf("%s %s %s = %d %s; want %d", tt.method, tt.path, tt.body, w.Code, w.Body.String(), tt.status)
					continue
				}
				errorCode(t, w)
				if !strings.Contains(w.Body.String(), tt.mention) {
					t.Errorf("%s %s %s: error %s does not mention %q", tt.method, tt.path, tt.body, w.Body.String(), tt.mention)
				}
			}
			for _, r := range [][2]string{{"GET", "/api/agents"}, {"POST", "/api/agents"}, {"GET", "/api/agents/" + id},
				{"PATCH", "/api/agents/" + id}, {"DELETE", "/api/agents/" + id}} {
				wantError(t, e.do(r[0], r[1], `{"name":"x"}`), 401)
			}
		})
	}
}

func TestAgentsTenantIsolation(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			idA := e.a.agent.ID
			// B reads A's agent after A cached it: still 404.
			if w := e.as(e.a, "GET", "/api/agents/"+idA, ""); w.Code != 200 {
				t.Fatalf("owner get = %d", w.Code)
			}
			wantError(t, e.as(e.b, "GET", "/api/agents/"+idA, ""), 404)
			wantError(t, e.as(e.b, "PATCH", "/api/agents/"+idA, `{"name":"hijack"}`), 404)
			wantError(t, e.as(e.b, "DELETE", "/api/agents/"+idA, ""), 404)
			for _, a := range decode[[]server.Agent](t, e.as(e.b, "GET", "/api/agents", "")) {
				if a.OrganizationID != e.b.org.ID {
					t.Errorf("B's list holds agent of org %s", a.OrganizationID)
				}
			}
			if got := decode[server.Agent](t, e.as(e.a, "GET", "/api/agents/"+idA, "")); got.Name != e.a.agent.Name {
				t.Errorf("A's agent name = %q after B's attempts; want %q", got.Name, e.a.agent.Name)
			}
		})
	}
}
