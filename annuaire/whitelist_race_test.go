//go:build race

package annuaire_test

// raceFactor scales memory allowances: the race detector's shadow memory
// multiplies the heap's footprint.
const raceFactor = 4
