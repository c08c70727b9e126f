package mssante

import "github.com/mssante-go/sdk/internal/findings"

// Finding is one result of Lint or of the tolerant reader.
type Finding = findings.Finding

// Findings is a list of findings with helpers (HasErrors, Errors, ByRule...).
type Findings = findings.List

// Level is the severity of a finding.
type Level = findings.Level

// Finding levels.
const (
	LevelInfo    = findings.Info
	LevelWarning = findings.Warning
	LevelError   = findings.Error
)
