// Package suggest finds the name a user probably meant, for "did you
// mean" in messages about unknown commands, cpupools and domains. It
// imports nothing of the module.
package suggest

import "strings"

// Closest returns the candidate closest to word, or "" when none is
// close: one that differs only in case, else the nearest by edit
// distance (insertions, deletions, substitutions, swaps of neighbours)
// if that distance is at most a third of word's length (at least 1). A
// candidate equal to word is not a suggestion.
func Closest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	for _, c := range candidates {
		if c != word && strings.EqualFold(c, word) {
			return c
		}
	}
	best, bestD := "", max(1, len(word)/3)+1
	for _, c := range candidates {
		if c == word || c == "" {
			continue
		}
		if d := distance(strings.ToLower(word), strings.ToLower(c), bestD); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance of a and b, or limit
// when it is at least limit.
func distance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit)
}
