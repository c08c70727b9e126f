package testfiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// DefaultURLTemplate is where a file of a public repository is read: GitHub
// resolves the (abbreviated) commit and redirects to the raw file.
const DefaultURLTemplate = "https://github.com/{repo}/raw/{commit}/{path}"

// maxDeriveInput bounds the download of a file that a transform reads.
const maxDeriveInput = 16 << 20

// Options of Fetch. The zero value downloads from GitHub into the cache folder.
type Options struct {
	// Dir receives the files, in the layout of ../shared/testdata; "" is
	// the manifest's CacheDir.
	Dir string
	// URLTemplate gives the address of a repository file, with {repo}
	// (owner/name), {commit} and {path} (each element percent-encoded). A
	// value without '{' is the base of a mirror laid out as
	// BASE/{repo}/{commit}/{path}, e.g. file:///srv/mirror. "" is
	// DefaultURLTemplate.
	URLTemplate string
	// Client makes the requests; nil is a client that also reads file:// URLs.
	Client *http.Client
	// Parallel is the number of downloads at once; 0 is 4.
	Parallel int
	// Log, when set, receives one line per file fetched.
	Log func(format string, args ...any)
}

// Report says what Fetch did.
type Report struct {
	Dir        string
	Fetched    int      // files downloaded (or derived) and verified by this run
	Kept       int      // files already there with the right SHA-256
	SharedOnly []string // files that no public repository holds (only in ../shared/testdata)
}

// MismatchError is a file whose bytes are not those of the manifest: it was
// changed upstream, corrupted on the way, or the mirror is wrong. The file is
// not installed.
type MismatchError struct {
	Path       string // the test file
	URL        string // where it was read
	WantSHA256 string
	GotSHA256  string
	WantSize   int64
	GotSize    int64
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("test file %s: read from %s: SHA-256 %s (%d bytes), the manifest says %s (%d bytes): refused",
		e.Path, e.URL, e.GotSHA256, e.GotSize, e.WantSHA256, e.WantSize)
}

// FetchError is a file that could not be read (network, HTTP status,
// transform).
type FetchError struct {
	Path string
	URL  string
	Err  error
}

func (e *FetchError) Error() string { return fmt.Sprintf("test file %s: %s: %v", e.Path, e.URL, e.Err) }
func (e *FetchError) Unwrap() error { return e.Err }

// NewClient returns an HTTP client that also reads file:// URLs (a local
// mirror).
func NewClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
	return &http.Client{Transport: t}
}

// URL returns the address of a source's repository file under a template
// (see Options.URLTemplate).
func URL(template string, src Source) string {
	if template == "" {
		template = DefaultURLTemplate
	}
	if !strings.Contains(template, "{") {
		template = strings.TrimSuffix(template, "/") + "/{repo}/{commit}/{path}"
	}
	elems := strings.Split(src.Path, "/")
	for i, e := range elems {
		elems[i] = url.PathEscape(e)
	}
	return strings.NewReplacer("{repo}", src.Repo, "{commit}", url.PathEscape(src.Commit), "{path}", strings.Join(elems, "/")).Replace(template)
}

// Fetch puts every file of the manifest that a public repository holds into
// opts.Dir, verified against its size and SHA-256. A file already there with
// the right hash is kept (a run resumes where the last one stopped); a wrong
// one is fetched again. Files are written under a temporary name and renamed
// only once verified. Every file is tried; the error joins a *MismatchError or
// *FetchError per file that failed.
func Fetch(ctx context.Context, m *Manifest, opts *Options) (*Report, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Dir == "" {
		d, err := m.CacheDir()
		if err != nil {
			return nil, err
		}
		o.Dir = d
	}
	if o.Client == nil {
		o.Client = NewClient()
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	rep := &Report{Dir: o.Dir}
	var todo []Entry
	for _, e := range m.Entries {
		if e.Source.Kind == KindShared {
			rep.SharedOnly = append(rep.SharedOnly, e.Path)
			continue
		}
		if sum, size, err := fileSHA256(filepath.Join(o.Dir, filepath.FromSlash(e.Path))); err == nil && sum == e.SHA256 && size == e.Size {
			rep.Kept++
			continue
		}
		todo = append(todo, e)
	}

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan Entry)
	)
	for range min(o.Parallel, len(todo)) {
		wg.Go(func() {
			for e := range next {
				err := fetchOne(ctx, &o, e)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					rep.Fetched++
					if o.Log != nil {
						o.Log("fetched %s", e.Path)
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, e := range todo {
		if ctx.Err() != nil {
			break
		}
		next <- e
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// fetchOne reads, derives if needed, verifies and installs one file.
func fetchOne(ctx context.Context, o *Options, e Entry) error {
	u := URL(o.URLTemplate, e.Source)
	limit := e.Size + 1 // one byte more than expected shows a longer file
	if e.Source.Kind == KindDerive {
		limit = maxDeriveInput
	}
	b, err := get(ctx, o.Client, u, limit)
	if err != nil {
		return &FetchError{Path: e.Path, URL: u, Err: err}
	}
	if e.Source.Kind == KindDerive {
		if b, err = Derive(e.Source, b); err != nil {
			return &FetchError{Path: e.Path, URL: u, Err: fmt.Errorf("%s: %w", e.Source.Transform, err)}
		}
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != e.SHA256 || int64(len(b)) != e.Size {
		return &MismatchError{Path: e.Path, URL: u, WantSHA256: e.SHA256, GotSHA256: got, WantSize: e.Size, GotSize: int64(len(b))}
	}
	dst := filepath.Join(o.Dir, filepath.FromSlash(e.Path))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.part")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("test file %s: %w", e.Path, err)
	}
	return nil
}

// get reads at most limit bytes of a URL.
func get(ctx context.Context, c *http.Client, u string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// Problem is a file of a test data folder that does not agree with the
// manifest.
type Problem struct {
	Path string
	What string // "missing", "not in the manifest", or what differs
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// Verify compares a test data folder with the manifest: every file must be
// there with its size and SHA-256, and every file there must be listed
// (README.md files aside). Files that only ../shared/testdata holds are
// checked when present; their absence is reported only when wantShared.
func Verify(m *Manifest, dir string, wantShared bool) ([]Problem, error) {
	var probs []Problem
	listed := map[string]bool{}
	for _, e := range m.Entries {
		listed[e.Path] = true
		sum, size, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(e.Path)))
		switch {
		case errors.Is(err, os.ErrNotExist):
			if e.Source.Kind != KindShared || wantShared {
				probs = append(probs, Problem{e.Path, "missing"})
			}
		case err != nil:
			return nil, err
		case sum != e.SHA256 || size != e.Size:
			probs = append(probs, Problem{e.Path, fmt.Sprintf("SHA-256 %s (%d bytes), the manifest says %s (%d bytes)", sum, size, e.SHA256, e.Size)})
		}
	}
	err := filepath.WalkDir(dir, func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		rel = filepath.ToSlash(rel)
		if !listed[rel] && filepath.Base(rel) != "README.md" && !strings.HasSuffix(rel, ".part") {
			probs = append(probs, Problem{rel, "not in the manifest"})
		}
		return nil
	})
	return probs, err
}

// fileSHA256 returns the hex SHA-256 and the size of a file.
func fileSHA256(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Mirror lays out the repository files of the manifest, taken from a test
// data folder (a copy of ../shared/testdata), as a mirror that Fetch reads
// with Options.URLTemplate = "file://"+to: to/OWNER/REPO/COMMIT/PATH. The
// inputs of derived files are not in a test data folder: Mirror creates their
// folders and returns their paths, to be supplied by hand.
func Mirror(m *Manifest, from, to string) (missing []string, err error) {
	for _, e := range m.Entries {
		src := e.Source
		if src.Kind == KindShared {
			continue
		}
		dst := filepath.Join(to, filepath.FromSlash(src.Repo), src.Commit, filepath.FromSlash(src.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if src.Kind == KindDerive {
			missing = append(missing, dst)
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, filepath.FromSlash(e.Path)))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
	}
	return missing, nil
}
