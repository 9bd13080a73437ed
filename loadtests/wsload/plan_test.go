package wsload

import (
	"testing"
)

func TestPlanSpreadsConnections(t *testing.T) {
	p := Plan{Conns: 100000, Procs: ProcsFor(100000), Addrs: DefaultAddrs, BigOrgConns: 10000,
		Users: make([]int, 100), ConnsPerUser: 1000}
	for i := range p.Users {
		p.Users[i] = 10
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.Procs != 12 {
		t.Errorf("procs: got %d; want 12 (<= %d each)", p.Procs, MaxConnsPerProc)
	}
	perProc := map[int]int{}
	perAddr := map[string]int{}
	perOrg := map[int]int{}
	perUser := map[string]int{}
	bigPerProc := map[int]int{}
	for i := range p.Conns {
		s := p.Spec(i)
		perProc[s.Proc]++
		perAddr[s.Addr]++
		perOrg[s.Org]++
		perUser[TokenKey(s.Org, s.User)]++
		if s.Org == 0 {
			bigPerProc[s.Proc]++
		}
	}
	for proc, n := range perProc {
		if n > MaxConnsPerProc || n < p.Conns/p.Procs {
			t.Errorf("process %d: got %d connections; want %d..%d", proc, n, p.Conns/p.Procs, MaxConnsPerProc)
		}
		if got := len(p.ProcConns(proc)); got != n {
			t.Errorf("ProcConns(%d): got %d; want %d", proc, got, n)
		}
	}
	for addr, n := range perAddr {
		if want := p.Conns / len(DefaultAddrs); n < want-p.Procs || n > want+p.Procs {
			t.Errorf("address %s: got %d connections; want %d ± %d", addr, n, want, p.Procs)
		}
	}
	if perOrg[0] != 10000 {
		t.Errorf("big organization: got %d connections; want 10000", perOrg[0])
	}
	for org := 1; org < 100; org++ {
		if perOrg[org] != p.OrgConns(org) || perOrg[org] < 909 || perOrg[org] > 910 {
			t.Errorf("organization %d: got %d connections (OrgConns %d); want 909 or 910", org, perOrg[org], p.OrgConns(org))
		}
	}
	for proc, n := range bigPerProc {
		if n < 833 || n > 834 {
			t.Errorf("process %d: got %d big-organization sockets; want 833 or 834", proc, n)
		}
	}
	users := 0
	for org := range p.Users {
		users += p.UsersNeeded(org)
	}
	if users != len(perUser) || users != 10+99 {
		t.Errorf("users: got %d used, %d needed; want 109", len(perUser), users)
	}
	for k, n := range perUser {
		if n > p.ConnsPerUser {
			t.Errorf("user %s: got %d sockets; want <= %d", k, n, p.ConnsPerUser)
		}
	}
}

func TestPlanHTTPAndValidation(t *testing.T) {
	p := Plan{Conns: 60000, Procs: ProcsFor(60000), Addrs: DefaultAddrs[:2]}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if s := p.Spec(5); s.Org != -1 || s.User != -1 || s.Proc != 5 || s.Addr != DefaultAddrs[0] {
		t.Errorf("Spec(5) = %+v; want proc 5, first address, no organization", s)
	}
	if s := p.Spec(p.Procs); s.Proc != 0 || s.Addr != DefaultAddrs[1] {
		t.Errorf("Spec(procs) = %+v; want proc 0, second address", s)
	}
	bad := []Plan{
		{Conns: 0, Procs: 1, Addrs: DefaultAddrs},
		{Conns: 20000, Procs: 2, Addrs: DefaultAddrs},
		{Conns: 10, Procs: 1},
		{Conns: 10, Procs: 1, Addrs: DefaultAddrs, Users: []int{1}, BigOrgConns: 5, ConnsPerUser: 1},
		{Conns: 10, Procs: 1, Addrs: DefaultAddrs, Users: []int{1, 0}, BigOrgConns: 5, ConnsPerUser: 1},
		{Conns: 10, Procs: 1, Addrs: DefaultAddrs, Users: []int{1, 1}, BigOrgConns: 11, ConnsPerUser: 1},
	}
	for _, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil; want an error", b)
		}
	}
}
