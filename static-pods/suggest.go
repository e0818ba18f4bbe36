package staticpods

import (
	"slices"
	"strings"
)

// ClosestName returns the candidate a misspelt field name was most likely
// meant to be, or "" when none is close enough to be a useful hint.
// Case is ignored so "containerport" finds "containerPort". The agent's
// config file uses it too, so both explain a typo alike.
func ClosestName(typed string, candidates []string) string {
	lower := strings.ToLower(typed)
	// Allow roughly one slip per three characters, at least one.
	limit := max(1, len(typed)/3)
	best, bestDistance := "", limit+1
	for _, candidate := range candidates {
		d := editDistance(lower, strings.ToLower(candidate))
		if d < bestDistance || (d == bestDistance && candidate < best) {
			best, bestDistance = candidate, d
		}
	}
	if bestDistance > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes
// (field names are ASCII).
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}

// sortedKeys returns a map's keys in order, so problems are reported in the
// same order every time.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
