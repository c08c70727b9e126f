// Package pgtest starts a private PostgreSQL server for the SDK's tests, the
// way internal/mailservers starts Postfix and Dovecot: initdb and pg_ctl in a
// temporary directory, a free loopback port, trust authentication for one
// superuser, one server per test binary (Shared), a fresh database per test
// (Database). Nothing touches the system's own PostgreSQL cluster, if any.
//
// The programs come from Debian's postgresql package (scripts/apt-packages.txt);
// they are looked up on PATH, then in /usr/lib/postgresql/*/bin, the highest
// version first. PostgreSQL refuses to run as root: run as root (as CI does),
// the server runs as the "postgres" user that the package creates.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mssante-go/sdk/internal/testenv"
)

// Programs are the PostgreSQL programs Start needs.
var Programs = []string{"initdb", "pg_ctl", "postgres"}

// Superuser is the role initdb creates; it logs in without a password.
const Superuser = "mss"

// Options configure Start. The zero value is usable.
type Options struct {
	// NoFsync turns fsync, synchronous_commit and full_page_writes off:
	// faster, and still durable across the crash of a client process (what
	// the SDK's crash tests kill), not across the crash of the machine.
	// Benchmarks leave it false, so that a commit costs what it costs.
	NoFsync bool
	// Settings are extra "name=value" server settings (postgres -c).
	Settings []string
}

// Server is a running private PostgreSQL server.
type Server struct {
	Dir  string // temporary directory: data, socket, log
	Addr string // 127.0.0.1:PORT
	// URL connects to the "postgres" database as Superuser.
	URL string

	bin  string // directory of the programs
	cred *syscall.Credential
	dbs  atomic.Int64
}

// Start runs initdb in a new directory under parent (os.TempDir() when
// empty), starts the server on a free loopback port and waits until it
// accepts connections. Call Stop to stop it and remove the directory.
func Start(ctx context.Context, parent string, opt Options) (_ *Server, err error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root needs the postgres user of Debian's postgresql package: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if s.Dir, err = os.MkdirTemp(parent, "pgtest-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w%s", err, s.Logs())
			s.Stop()
		}
	}()
	if s.cred != nil {
		if err := os.Chown(s.Dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(s.Dir, "data")
	if out, err := s.run(ctx, "initdb", "-D", data, "-U", Superuser, "--auth=trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	settings := []string{
		"listen_addresses=127.0.0.1", "port=" + strconv.Itoa(port),
		"unix_socket_directories=" + s.Dir, "max_connections=200",
		"shared_buffers=64MB", "log_min_messages=warning",
	}
	if opt.NoFsync {
		settings = append(settings, "fsync=off", "synchronous_commit=off", "full_page_writes=off")
	}
	settings = append(settings, opt.Settings...)
	var o []string
	for _, st := range settings {
		o = append(o, "-c "+st)
	}
	if out, err := s.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(s.Dir, "postgres.log"),
		"-o", strings.Join(o, " "), "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("pgtest: pg_ctl start: %v: %s", err, out)
	}
	s.URL = fmt.Sprintf("postgres://%s@%s/postgres?sslmode=disable", Superuser, s.Addr)
	// Make sure the port is ours, not another process's that took it
	// between freePort and the server binding it.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, s.URL)
	if err != nil {
		return nil, fmt.Errorf("pgtest: connecting to the new server: %w", err)
	}
	conn.Close(cctx)
	return s, nil
}

// Stop stops the server at once and removes its directory. It may be called
// more than once.
func (s *Server) Stop() {
	if s == nil || s.Dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := filepath.Join(s.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		s.run(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
	}
	os.RemoveAll(s.Dir)
	s.Dir = ""
}

// Logs returns the end of the server log, to explain a failure.
func (s *Server) Logs() string {
	if s == nil || s.Dir == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
	if err != nil {
		return ""
	}
	if len(data) > 8000 {
		data = data[len(data)-8000:]
	}
	return "\n--- postgres.log ---\n" + string(data)
}

// CreateDatabase creates a new, empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), s.dbs.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", Superuser, s.Addr, name), nil
}

// Database creates a fresh database on the shared server for a test and
// returns its URL.
func Database(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url, err := s.CreateDatabase(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v%s", err, s.Logs())
	}
	return url
}

var (
	sharedMu  sync.Mutex
	sharedSrv *Server
	sharedErr error
)

// Shared returns a server started on first use and shared by the tests of
// one test binary. Missing programs skip the test, or fail it under CI=true;
// a server that cannot start fails it. Stop it with Main or StopShared.
func Shared(t testing.TB) *Server {
	t.Helper()
	if _, err := binDir(); err != nil {
		testenv.Missing(t, "%v", err)
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for attempt := 0; sharedSrv == nil && attempt < 3; attempt++ {
		sharedSrv, sharedErr = Start(context.Background(), "", Options{})
	}
	if sharedErr != nil {
		t.Fatalf("starting PostgreSQL: %v", sharedErr)
	}
	return sharedSrv
}

// StopShared stops the server Shared started, if any.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	sharedSrv.Stop()
	sharedSrv = nil
}

// Main runs the tests of m, stops the shared server and exits: the
// TestMain of a package using Shared is
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	// pg_ctl leaves the server running with the output inherited: a pipe
	// would never be closed, so collect it in a file.
	out, err := os.CreateTemp("", "pgtest-out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	if s.cred != nil {
		os.Chown(out.Name(), int(s.cred.Uid), int(s.cred.Gid))
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = s.Dir
	// A clean environment: no PGDATA, PGPORT... of the caller.
	cmd.Env = []string{"PATH=" + s.bin + ":/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	err = cmd.Run()
	data, _ := os.ReadFile(out.Name())
	return data, err
}

// binDir finds the directory holding initdb, pg_ctl and postgres.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); hasAll(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if hasAll(d) {
			return d, nil
		}
	}
	return "", errors.New("pgtest: PostgreSQL server programs (initdb, pg_ctl, postgres) not found: install Debian's postgresql package")
}

func hasAll(dir string) bool {
	for _, p := range Programs {
		if st, err := os.Stat(filepath.Join(dir, p)); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// version reads NN from /usr/lib/postgresql/NN/bin.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
