package cda

// Code is a coded value: a code, the OID of its code system and its display name.
type Code struct {
	Code        string `json:"code,omitempty"`
	CodeSystem  string `json:"code_system,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
}

// IsZero reports whether the code is empty.
func (c Code) IsZero() bool { return c.Code == "" && c.CodeSystem == "" }
