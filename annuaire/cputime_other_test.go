//go:build !unix

package annuaire_test

func cpuTime() int64 { return 0 }
