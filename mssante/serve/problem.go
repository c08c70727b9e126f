package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mssante-go/sdk/finding"
)

// ProblemBase is the prefix of the problem types: each one is described
// under its name in docs/serve.md.
const ProblemBase = "https://github.com/mssante-go/sdk/blob/main/docs/serve.md#problem-"

// The problem types the service answers with (the part after ProblemBase).
const (
	ProblemUnauthorized    = "unauthorized"       // 401: no or wrong API key
	ProblemNotFound        = "not-found"          // 404: no such message, route or document
	ProblemMethod          = "method-not-allowed" // 405
	ProblemBadRequest      = "bad-request"        // 400: the request cannot be read (JSON, multipart, parameter)
	ProblemUnsupportedType = "unsupported-media-type"
	ProblemTooLarge        = "too-large"         // 413: body over Limits.MaxBodyBytes
	ProblemTooManyRequests = "too-many-requests" // 429: over Limits.MaxConcurrent or MaxStreams
	ProblemInvalid         = "invalid-message"   // 422: findings; nothing enqueued
	ProblemConflict        = "conflict"          // 409: a different ack of an acknowledged message, a Message-ID in use
	ProblemNotConfigured   = "not-configured"    // 501: the instance has no directory
	ProblemUnavailable     = "unavailable"       // 503: a check could not be made now (trust space), shutting down
	ProblemInternal        = "internal"          // 500
)

// Problem is an RFC 9457 problem detail, the body of every error answer
// (Content-Type: application/problem+json). Findings lists what is wrong
// with a message or document (422).
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Findings []finding.Finding `json:"findings,omitempty"`
}

var problemTitles = map[string]string{
	ProblemUnauthorized:    "Missing or wrong API key",
	ProblemNotFound:        "Not found",
	ProblemMethod:          "Method not allowed",
	ProblemBadRequest:      "Malformed request",
	ProblemUnsupportedType: "Unsupported media type",
	ProblemTooLarge:        "Request body too large",
	ProblemTooManyRequests: "Too many concurrent requests",
	ProblemInvalid:         "The message is not valid: nothing was enqueued",
	ProblemConflict:        "Conflict with the current state",
	ProblemNotConfigured:   "Not configured on this instance",
	ProblemUnavailable:     "Temporarily unavailable",
	ProblemInternal:        "Internal error",
}

// writeProblem answers with a problem.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, kind, format string, args ...any) {
	p := &Problem{Type: ProblemBase + kind, Title: problemTitles[kind], Status: status, Detail: fmt.Sprintf(format, args...)}
	if r != nil {
		p.Instance = r.URL.Path
	}
	sendProblem(w, p)
}

func sendProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	switch p.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="mss"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(1))
	}
	w.WriteHeader(p.Status)
	b, _ := json.Marshal(p)
	w.Write(append(b, '\n'))
}

// invalid answers 422 with findings (their errors first).
func invalid(w http.ResponseWriter, r *http.Request, fs finding.List, format string, args ...any) {
	list := append(fs.Errors(), fs.Warnings()...)
	if len(list) == 0 {
		list = fs
	}
	sendProblem(w, &Problem{Type: ProblemBase + ProblemInvalid, Title: problemTitles[ProblemInvalid], Status: http.StatusUnprocessableEntity,
		Detail: fmt.Sprintf(format, args...), Instance: r.URL.Path, Findings: list})
}

// writeJSON answers with a JSON document.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, nil, http.StatusInternalServerError, ProblemInternal, "encoding the answer: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
