//go:build !race

package annuaire_test

// raceFactor scales memory allowances (1 without the race detector).
const raceFactor = 1
