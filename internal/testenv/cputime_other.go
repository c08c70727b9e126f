//go:build !unix

package testenv

import "testing"

// ReportCPU reports nothing where getrusage is not available.
func ReportCPU(b *testing.B) func() { return func() {} }
