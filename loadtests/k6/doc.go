// Package k6 holds the k6 scripts of the load tiers (loadtest.js) and the
// tests that keep them in step with loadtests/tiers/tiers.json and
// type-check them with tsc against @types/k6. There is no Go code here.
package k6
