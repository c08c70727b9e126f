package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/ins"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
)

// Defaults of Limits.
const (
	DefaultMaxBodyBytes  = 32 << 20
	DefaultMaxRecipients = 100
	DefaultMaxConcurrent = 16
	DefaultMaxStreams    = 16
)

// Limits bound what one client may ask. Each refusal is a 4xx problem:
// 413 for a body over MaxBodyBytes, 422 for more recipients than
// MaxRecipients, 429 (with Retry-After) past MaxConcurrent requests or
// MaxStreams event streams at once. The zero value of each field means its
// default.
type Limits struct {
	MaxBodyBytes  int64 // default DefaultMaxBodyBytes (32 MiB)
	MaxRecipients int   // To + Cc of one message; default DefaultMaxRecipients
	MaxConcurrent int   // requests served at once, event streams apart; default DefaultMaxConcurrent
	MaxStreams    int   // GET /v1/events streams open at once; default DefaultMaxStreams
}

// Options configure a Server. APIKey is required; the zero value of every
// other field is a documented default.
type Options struct {
	// APIKey is the bearer key every request but GET /openapi.json must
	// give (Authorization: Bearer KEY), compared in constant time.
	APIKey string

	// RecipientChecker vets every recipient of POST /v1/messages and
	// /v1/messages/raw before anything is enqueued (a refusal is a 422
	// finding), and answers POST /v1/trust-space/check: typically an
	// annuaire.RecipientChecker on the liste blanche. Required, unless
	// InsecureSkipRecipientCheck is set.
	RecipientChecker mssante.RecipientChecker
	// InsecureSkipRecipientCheck accepts any recipient (tests only; the
	// trust-space endpoint then answers 501).
	InsecureSkipRecipientCheck bool
	// Directory answers GET /v1/directory (an *annuaire.Index, a
	// *annuaire.FHIRClient, an annuaire.Chain...); nil answers 501.
	Directory annuaire.Resolver

	// Documents are the defaults of the documents POST /v1/messages builds.
	Documents DocumentDefaults
	// Environment refuses INS authorities of the other environment (test
	// OIDs in production); the zero value accepts every authority.
	Environment ins.Environment

	Limits Limits
	// Logger receives the errors the service could not answer with (nil:
	// discard). No message content or patient data is logged.
	Logger *slog.Logger
	// Now gives the time (default time.Now); tests set it.
	Now func() time.Time
}

// DocumentDefaults are the values of the CDA documents and messages that
// POST /v1/messages builds when the request does not give them.
type DocumentDefaults struct {
	// IDRoot is the OID under which document ids are made when a request
	// gives none (document.id): an OID of the producing structure or
	// product. Without it, a request must give document.id.
	IDRoot string
	// NIL is the X-MSS-NIL product reference of the messages when the
	// request's sender gives none (ECO.2.4.3).
	NIL string
	// Application names the sending software in the IHE_XDM archive
	// (default "mss serve", the SDK's module as vendor).
	ApplicationName, ApplicationVersion, ApplicationVendor string
}

// Server is the HTTP service: an http.Handler on a delivery.Outbox. Its
// methods are safe for concurrent use.
type Server struct {
	o       *delivery.Outbox
	opts    Options
	key     [32]byte
	mux     *http.ServeMux
	sem     chan struct{}
	streams chan struct{}

	mu       sync.Mutex
	wake     chan struct{} // closed and replaced by Notify
	stopping chan struct{}
	stopOnce sync.Once
}

// ErrNoAPIKey: Options.APIKey is empty.
var ErrNoAPIKey = errors.New("serve: no API key")

// ErrNoRecipientChecker: Options has neither a RecipientChecker nor
// InsecureSkipRecipientCheck.
var ErrNoRecipientChecker = errors.New("serve: no RecipientChecker (the liste blanche); InsecureSkipRecipientCheck is for tests only")

// New returns the service of an outbox. opts is required (the API key);
// New keeps a copy.
func New(o *delivery.Outbox, opts *Options) (*Server, error) {
	if o == nil {
		return nil, errors.New("serve: no outbox")
	}
	if opts == nil || opts.APIKey == "" {
		return nil, ErrNoAPIKey
	}
	s := &Server{o: o, opts: *opts, wake: make(chan struct{}), stopping: make(chan struct{})}
	if s.opts.RecipientChecker == nil && !s.opts.InsecureSkipRecipientCheck {
		return nil, ErrNoRecipientChecker
	}
	l := &s.opts.Limits
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxRecipients <= 0 {
		l.MaxRecipients = DefaultMaxRecipients
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = DefaultMaxConcurrent
	}
	if l.MaxStreams <= 0 {
		l.MaxStreams = DefaultMaxStreams
	}
	d := &s.opts.Documents
	if d.ApplicationName == "" {
		d.ApplicationName, d.ApplicationVendor = "mss serve", "github.com/mssante-go/sdk"
		if d.ApplicationVersion == "" {
			d.ApplicationVersion = moduleVersion()
		}
	}
	if s.opts.Logger == nil {
		s.opts.Logger = slog.New(slog.DiscardHandler)
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	s.key = sha256.Sum256([]byte(opts.APIKey))
	s.sem = make(chan struct{}, l.MaxConcurrent)
	s.streams = make(chan struct{}, l.MaxStreams)
	s.routes()
	return s, nil
}

// moduleVersion is the SDK's version in the binary, "devel" in a build
// from the source tree.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /openapi.json", s.openAPI)
	m.HandleFunc("POST /v1/messages", s.sendDocument)
	m.HandleFunc("POST /v1/messages/raw", s.sendRaw)
	m.HandleFunc("GET /v1/messages", s.listMessages)
	m.HandleFunc("GET /v1/messages/{id}", s.messageStatus)
	m.HandleFunc("GET /v1/events", s.events)
	m.HandleFunc("GET /v1/inbox", s.inbox)
	m.HandleFunc("GET /v1/inbox/{id}", s.inboxMessage)
	m.HandleFunc("GET /v1/inbox/{id}/raw", s.inboxRaw)
	m.HandleFunc("GET /v1/inbox/{id}/documents/{n}", s.inboxDocument)
	m.HandleFunc("POST /v1/inbox/{id}/ack", s.ack)
	m.HandleFunc("POST /v1/ins/check", s.insCheck)
	m.HandleFunc("POST /v1/cda/validate", s.cdaValidate)
	m.HandleFunc("GET /v1/directory", s.directory)
	m.HandleFunc("POST /v1/trust-space/check", s.trustCheck)
	s.mux = m
}

// ServeHTTP answers a request: the route, then the API key, the limits and
// the handler; every error is an RFC 9457 problem.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.opts.Logger.Error("serve: panic", slog.String("route", r.Method+" "+r.URL.Path), slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			writeProblem(w, r, http.StatusInternalServerError, ProblemInternal, "internal error")
		}
	}()
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.noRoute(w, r, h)
		return
	}
	if pattern != "GET /openapi.json" && !s.authorized(r) {
		writeProblem(w, r, http.StatusUnauthorized, ProblemUnauthorized, "give the API key: Authorization: Bearer KEY")
		return
	}
	slots := s.sem
	if pattern == "GET /v1/events" {
		slots = s.streams
	}
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	default:
		writeProblem(w, r, http.StatusTooManyRequests, ProblemTooManyRequests, "more than %d requests at once: try again", cap(slots))
		return
	}
	if r.ContentLength > s.opts.Limits.MaxBodyBytes {
		writeProblem(w, r, http.StatusRequestEntityTooLarge, ProblemTooLarge, "the body has %d bytes, over the limit of %d", r.ContentLength, s.opts.Limits.MaxBodyBytes)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.Limits.MaxBodyBytes)
	s.mux.ServeHTTP(w, r) // again, for the path values

}

// noRoute turns the mux's 404 and 405 into problems.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		writeProblem(w, r, http.StatusMethodNotAllowed, ProblemMethod, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow"))
		return
	}
	writeProblem(w, r, http.StatusNotFound, ProblemNotFound, "no route %s %s (see GET /openapi.json)", r.Method, r.URL.Path)
}

type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }

// authorized checks the bearer key in constant time (the hashes have one
// length whatever the key given).
func (s *Server) authorized(r *http.Request) bool {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return subtle.ConstantTimeCompare(got[:], s.key[:]) == 1
}

// Notify wakes the event streams: give it to delivery.Options.OnEvent so
// that GET /v1/events sends each event as soon as it is committed (the
// streams also read the history every StreamPoll, which covers the events
// of other processes).
func (s *Server) Notify(delivery.Event) {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

func (s *Server) wakeup() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// Close ends the event streams, so that http.Server.Shutdown, which waits
// for the requests in progress, does not wait for them: register it with
// http.Server.RegisterOnShutdown. Other requests are not affected.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stopping) })
}

// requestLogger is the logger with the route.
func (s *Server) logError(r *http.Request, what string, err error) {
	s.opts.Logger.Error(fmt.Sprintf("serve: %s", what), slog.String("route", r.Method+" "+r.URL.Path), slog.String("error", err.Error()))
}
