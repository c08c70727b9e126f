package msc

import "github.com/mssante-go/sdk/internal/findings"

// Finding and Findings are the SDK's levelled findings (one type across
// packages): Check and ClosingFindings return them.
type (
	Finding  = findings.Finding
	Findings = findings.List
)

// Levels of findings.
const (
	LevelInfo    = findings.Info
	LevelWarning = findings.Warning
	LevelError   = findings.Error
)
