package finding

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Level is the severity of a finding.
type Level int

const (
	// Info is a remark that needs no action.
	Info Level = iota
	// Warning is a deviation that a tolerant reader can live with.
	Warning
	// Error is a breach of a rule that makes the object unusable or non-conformant.
	Error
)

func (l Level) String() string {
	switch l {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// MarshalText writes the level as "info", "warning" or "error".
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads "info", "warning" or "error".
func (l *Level) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "info":
		*l = Info
	case "warning":
		*l = Warning
	case "error":
		*l = Error
	default:
		return fmt.Errorf("finding: unknown level %q", b)
	}
	return nil
}

// Finding is one result of a validation: which rule, where, how serious, and
// which specification the rule comes from.
type Finding struct {
	Level    Level  `json:"level"`
	Rule     string `json:"rule"`               // stable id, e.g. "CDA-HDR-003", "XDM-HASH", "ECO.2.4.1"
	Location string `json:"location,omitempty"` // XPath-like or entry path, e.g. "/ClinicalDocument/code"
	Message  string `json:"message"`
	Spec     string `json:"spec,omitempty"` // source of the rule, e.g. "cda.md §2", "RFC 3464 §2.3"
}

func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Level.String())
	b.WriteString(" ")
	b.WriteString(f.Rule)
	if f.Location != "" {
		b.WriteString(" at ")
		b.WriteString(f.Location)
	}
	b.WriteString(": ")
	b.WriteString(f.Message)
	if f.Spec != "" {
		b.WriteString(" [")
		b.WriteString(f.Spec)
		b.WriteString("]")
	}
	return b.String()
}

// List is a list of findings with helpers.
type List []Finding

// HasErrors reports whether any finding is an error.
func (l List) HasErrors() bool { return l.Count(Error) > 0 }

// Count returns the number of findings at the given level.
func (l List) Count(level Level) int {
	n := 0
	for _, f := range l {
		if f.Level == level {
			n++
		}
	}
	return n
}

// Errors returns the error-level findings.
func (l List) Errors() List { return l.filter(Error) }

// Warnings returns the warning-level findings.
func (l List) Warnings() List { return l.filter(Warning) }

func (l List) filter(level Level) List {
	var out List
	for _, f := range l {
		if f.Level == level {
			out = append(out, f)
		}
	}
	return out
}

// ByRule returns the findings of one rule.
func (l List) ByRule(rule string) List {
	var out List
	for _, f := range l {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// Add appends a finding.
func (l *List) Add(level Level, rule, location, spec, format string, args ...any) {
	*l = append(*l, Finding{Level: level, Rule: rule, Location: location, Spec: spec, Message: fmt.Sprintf(format, args...)})
}

// MarshalJSON writes an empty list as [] rather than null.
func (l List) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Finding(l))
}
