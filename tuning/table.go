package tuning

import (
	"fmt"
	"strings"
)

// Table renders every setting of every profile as the Markdown tables of
// tuning/README.md: value per tier, reason, source; then what the Postgres
// and Redis formulas give on two reference hosts.
func Table() (string, error) {
	var b strings.Builder
	for _, role := range Roles {
		profiles := map[string]Profile{}
		for _, t := range Tiers {
			p, err := Load(t, role)
			if err != nil {
				return "", err
			}
			profiles[t] = p
		}
		fmt.Fprintf(&b, "\n### %s\n\n| setting | 1k | 10k | 100k | reason | source |\n|---|---|---|---|---|---|\n", role)
		for i, s := range profiles["10k"].Settings {
			cells := []string{cell(s)}
			for _, t := range Tiers {
				cells = append(cells, value(profiles[t], profiles[t].Settings[i]))
			}
			cells = append(cells, esc(s.Reason), esc(s.Source))
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
	}
	ref, err := referenceTable()
	if err != nil {
		return "", err
	}
	return b.String() + ref, nil
}

func cell(s Setting) string {
	c := "`" + s.ID() + "`"
	if s.Use != "" {
		c += " (" + s.Use + ")"
	}
	if s.Leave {
		c += " (left at the default)"
	}
	return c
}

// maxConnectionsFormula depends on the profile's pools alone: the table
// shows its figure for one instance.
const maxConnectionsFormula = "instances*workers*(DATABASE_MAX_CONNECTIONS/workers)+headroom"

func value(p Profile, s Setting) string {
	if s.Formula == maxConnectionsFormula && p.Pools != nil {
		pp := *p.Pools
		return fmt.Sprintf("`%d` (%d x %d x %d/%d + %d)", MaxConnections(pp, Host{}), pp.Instances, pp.Workers,
			pp.DatabaseMaxConnections, pp.Workers, pp.Headroom)
	}
	if s.Formula != "" {
		return "`" + esc(s.Formula) + "`"
	}
	return "`" + s.Value + "`"
}

func esc(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// ReferenceHosts are the hosts the README shows computed plans for.
var ReferenceHosts = []Host{
	{RAM: 16 << 30, CPUs: 8, Storage: "ssd", RedisUse: "cache"},
	{RAM: 2 << 30, CPUs: 1, Storage: "hdd", RedisUse: "cache"},
}

func referenceTable() (string, error) {
	var b strings.Builder
	b.WriteString("\n### computed on reference hosts (10k tier, one instance)\n\n| setting | 16 GiB, 8 CPUs, ssd | 2 GiB, 1 CPU, hdd |\n|---|---|---|\n")
	var plans [][]Item
	for _, h := range ReferenceHosts {
		var items []Item
		for _, role := range []string{"postgres", "redis"} {
			p, err := Load("10k", role)
			if err != nil {
				return "", err
			}
			pl, err := NewPlan(p, h, "")
			if err != nil {
				return "", err
			}
			for _, it := range pl.Items {
				if it.Formula != "" {
					items = append(items, it)
				}
			}
		}
		plans = append(plans, items)
	}
	small := map[string]string{}
	for _, it := range plans[1] {
		small[it.ID()] = it.Want
	}
	for _, it := range plans[0] {
		v := small[it.ID()]
		if v == "" {
			v = "(not set)"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` |\n", it.ID(), it.Want, strings.Trim(v, "`"))
	}
	return b.String(), nil
}
