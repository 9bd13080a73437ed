// Package dashboards builds EchoSenseiX's Grafana dashboards as code with
// Grafana's foundation SDK: typed panels over the metrics the server and its
// exporters publish. The generated JSON lives in dashboards/json (written by
// `go run ./dashboards/cmd/gen`); the alert rules, their promtool tests and
// the Grafana provisioning files sit beside it.
package dashboards
