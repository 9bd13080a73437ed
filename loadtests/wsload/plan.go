package wsload

import (
	"fmt"
)

// MaxConnsPerProc bounds the connections of one child process: the
// open-file limit here is 20,000 and cannot be raised.
const MaxConnsPerProc = 9000

// DefaultAddrs are the source addresses connections are spread over.
var DefaultAddrs = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5",
	"127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9"}

// Plan spreads Conns connections over Procs child processes, source Addrs
// and organizations. Connection i goes to process i mod Procs and address
// (i / Procs) mod len(Addrs), so every process ramps at the same pace and
// uses every address. In ws mode the first BigOrgConns connections belong
// to organization 0 and the rest go round robin over organizations 1..; a
// connection uses user (k / ConnsPerUser) mod Users[org] of its
// organization, k being its rank in the organization, so one token serves
// up to ConnsPerUser connections. Users empty means no organizations (http
// mode).
type Plan struct {
	Conns        int      `json:"conns"`
	Procs        int      `json:"procs"`
	Addrs        []string `json:"addrs"`
	BigOrgConns  int      `json:"bigOrgConns"`
	Users        []int    `json:"users"` // users available per organization (seed order)
	ConnsPerUser int      `json:"connsPerUser"`
}

// ConnSpec is where connection i goes.
type ConnSpec struct {
	Proc int
	Addr string
	Org  int // -1 without organizations
	User int // -1 without organizations
}

// ProcsFor answers the processes needed for conns connections.
func ProcsFor(conns int) int { return max(1, (conns+MaxConnsPerProc-1)/MaxConnsPerProc) }

// Validate checks the plan.
func (p Plan) Validate() error {
	switch {
	case p.Conns < 1:
		return fmt.Errorf("cannot plan %d connections", p.Conns)
	case p.Procs < 1 || (p.Conns+p.Procs-1)/p.Procs > MaxConnsPerProc:
		return fmt.Errorf("cannot plan %d connections over %d processes: at most %d each", p.Conns, p.Procs, MaxConnsPerProc)
	case len(p.Addrs) == 0:
		return fmt.Errorf("cannot plan connections without source addresses")
	case len(p.Users) == 0:
		return nil
	case p.BigOrgConns < 0 || p.BigOrgConns > p.Conns:
		return fmt.Errorf("cannot plan %d connections for the big organization out of %d", p.BigOrgConns, p.Conns)
	case len(p.Users) == 1 && p.BigOrgConns != p.Conns:
		return fmt.Errorf("cannot plan %d connections outside the big organization with one organization", p.Conns-p.BigOrgConns)
	case p.ConnsPerUser < 1:
		return fmt.Errorf("cannot plan %d connections per user", p.ConnsPerUser)
	}
	for i, u := range p.Users {
		if u < 1 {
			return fmt.Errorf("cannot plan connections for organization %d: no users", i)
		}
	}
	return nil
}

// Spec answers where connection i goes.
func (p Plan) Spec(i int) ConnSpec {
	s := ConnSpec{Proc: i % p.Procs, Addr: p.Addrs[(i/p.Procs)%len(p.Addrs)], Org: -1, User: -1}
	if len(p.Users) == 0 {
		return s
	}
	var k int
	if i < p.BigOrgConns {
		s.Org, k = 0, i
	} else {
		others := len(p.Users) - 1
		s.Org, k = 1+(i-p.BigOrgConns)%others, (i-p.BigOrgConns)/others
	}
	s.User = (k / p.ConnsPerUser) % p.Users[s.Org]
	return s
}

// OrgConns answers how many connections organization org gets.
func (p Plan) OrgConns(org int) int {
	if len(p.Users) == 0 {
		return 0
	}
	if org == 0 {
		return p.BigOrgConns
	}
	others, rest := len(p.Users)-1, p.Conns-p.BigOrgConns
	n := rest / others
	if org-1 < rest%others {
		n++
	}
	return n
}

// UsersNeeded answers how many users of org the plan logs in.
func (p Plan) UsersNeeded(org int) int {
	n := p.OrgConns(org)
	if n == 0 {
		return 0
	}
	return min(p.Users[org], (n+p.ConnsPerUser-1)/p.ConnsPerUser)
}

// ProcConns answers the indexes of process proc's connections, in ramp order.
func (p Plan) ProcConns(proc int) []int {
	var out []int
	for i := proc; i < p.Conns; i += p.Procs {
		out = append(out, i)
	}
	return out
}

// TokenKey names the token of a user of an organization.
func TokenKey(org, user int) string { return fmt.Sprintf("%d/%d", org, user) }
