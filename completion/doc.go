// Package completion serves shell completion: it produces the candidate
// words (pool names, CPU ids, domain names, schedulers, device ids) for a
// partially typed xgo command line, reading them from the live or simulated
// host, and prints the bash, zsh and fish glue scripts.
package completion
