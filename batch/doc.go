// Package batch decodes, plans and runs YAML batch files: a list of xgo
// operations checked as a whole against a simulated copy of the host before
// anything changes, then applied in order and undone in reverse order if a
// step fails.
package batch
