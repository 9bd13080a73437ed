package hostcheck

import "sort"

// Tier is what one load tier asks a server to hold: its concurrent users
// (one realtime socket each) and the keep-alive connections their page
// loads and the voice platform's webhooks arrive on. The figures are copied
// from the load tiers' definition (a test compares them).
type Tier struct {
	Name         string
	Users        int // concurrent users, one realtime socket each
	HTTPConns    int // keep-alive connections of the users' page loads
	WebhookConns int // keep-alive connections of the webhooks
}

// Connections is every client connection the tier holds at once.
func (t Tier) Connections() int { return t.Users + t.HTTPConns + t.WebhookConns }

// Tiers are the tiers a server can be configured for.
var Tiers = map[string]Tier{
	"1k":   {Name: "1k", Users: 1000, HTTPConns: 256, WebhookConns: 16},
	"10k":  {Name: "10k", Users: 10000, HTTPConns: 1000, WebhookConns: 32},
	"100k": {Name: "100k", Users: 100000, HTTPConns: 2000, WebhookConns: 48},
}

// TierNames are the keys of Tiers, sorted by size.
func TierNames() []string {
	names := make([]string, 0, len(Tiers))
	for n := range Tiers {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return Tiers[names[i]].Users < Tiers[names[j]].Users })
	return names
}
