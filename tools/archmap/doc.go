// Package archmap keeps docs/architecture.md true: its test compares the
// package map of that page with `go list ./...` (every package named, no
// name without a package) and checks the import rules the page states.
package archmap
