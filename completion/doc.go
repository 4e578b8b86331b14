// Package completion serves shell completion: it produces the candidate
// words (pool names, CPU ids, domain names, schedulers, vsnd device ids,
// XenStore paths, flags and their values) for a partially typed xgo
// command line, reading them from the live or simulated host, and holds
// the bash, zsh and fish glue scripts.
//
// cmd/xgo hands Complete its command tree as plain data (Command, Flag),
// so this package does not import urfave/cli. A command's argument slots
// come from the placeholders of its ArgsUsage ("<pool> <cpu-list>") through
// one table (slots.go), so every command is covered without code of its
// own; the command-tree test in cmd/xgo fails on a placeholder the table
// does not know.
//
// The host is a Host: NewHost reads it through the hypercall and XenStore
// interfaces (the simulated host implements both). It is opened only
// when a slot needs it; anything that cannot be read offers nothing,
// never an error, because a shell shows whatever completion prints.
//
// The scripts call the hidden "xgo __complete WORD..." and offer the
// lines it prints; a last line ":files" asks the shell to complete file
// names itself.
package completion
