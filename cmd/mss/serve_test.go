package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/apitest"
	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

const serveKey = "serve-test-key-0123456789abcdef"

// serveConfig writes the test operator's files and a configuration for
// mss serve: its operator.json (with its liste blanche) and a serve section.
func serveConfig(t *testing.T, op *mssantetest.Operator, serveSection map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := op.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	b, err := os.ReadFile(filepath.Join(dir, mssantetest.DescriptionFile))
	if err != nil || json.Unmarshal(b, &cfg) != nil {
		t.Fatalf("operator.json: %v", err)
	}
	if serveSection == nil {
		serveSection = map[string]any{}
	}
	if _, ok := serveSection["document_id_root"]; !ok {
		serveSection["document_id_root"] = apitest.DocumentIDRoot
	}
	cfg["serve"] = serveSection
	b, _ = json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(dir, "mss.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveProc is mss serve running as a child process.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

// startServe starts mss serve (the test binary re-executed) and waits for
// the URL it prints.
func startServe(t *testing.T, config, db string, extra ...string) *serveProc {
	t.Helper()
	args := append([]string{"serve", "--db", db, "--config", config, "--listen", "127.0.0.1:0", "--fetch-interval", "300ms"}, extra...)
	p := &serveProc{cmd: exec.Command(os.Args[0], args...), done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "MSS_TEST_MAIN=1", "MSS_API_KEY="+serveKey)
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "mss serve: listening on "); ok {
				line <- u
			}
		}
		close(line)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case u, ok := <-line:
		if !ok {
			t.Fatalf("mss serve did not start: %s", p.errors())
		}
		p.url = u
	case <-time.After(2 * time.Minute):
		t.Fatalf("mss serve did not start in time: %s", p.errors())
	}
	return p
}

func (p *serveProc) errors() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop interrupts the process and returns its exit code.
func (p *serveProc) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("mss serve did not stop: %s", p.errors())
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill kills the process with SIGKILL: no chance to finish anything.
func (p *serveProc) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	<-p.done
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

// mss serve over real HTTP against the embedded operator: the laboratory
// sends a report to the hospital's DPI, which integrates it ("processed");
// the DPI's software reads it from the inbox and acknowledges it; then what
// must be refused (a recipient outside the trust space, a bad INS, a
// malformed PDF: 422, nothing enqueued). Every request and answer is
// validated against openapi.json. SIGTERM stops it cleanly.
func TestServe(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	p := startServe(t, serveConfig(t, op, nil), "sqlite:"+filepath.Join(t.TempDir(), "outbox.db"))
	c := apitest.NewValidator(t).Client(t, p.url, serveKey)
	c.Loop(mssantetest.DefaultLab, mssantetest.DefaultApp)
	c.Refusals(mssantetest.DefaultLab, mssantetest.DefaultApp)
	if code := p.stop(t); code != 0 || !strings.Contains(p.errors(), "stopped") {
		t.Errorf("exit %d after SIGTERM: %s", code, p.errors())
	}
	if t.Failed() {
		t.Logf("mss serve said: %s", p.errors())
	}
}

// A kill -9 of mss serve between the 202 and the sending loses nothing:
// the first process only enqueues (--workers 0, so that the kill lands
// before any send), and is killed right after the 202; the operator has
// received nothing; the process started again on the same database sends
// the message, which ends processed. The idempotency key survives too.
func TestServeKill9(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	cfg := serveConfig(t, op, nil)
	db := "sqlite:" + filepath.Join(t.TempDir(), "outbox.db")
	val := apitest.NewValidator(t)
	first := startServe(t, cfg, db, "--workers", "0")
	c := val.Client(t, first.url, serveKey)
	a := c.Accepted(apitest.Request(mssantetest.DefaultLab, mssantetest.DefaultApp), apitest.PDF(), "Idempotency-Key", "kill-9")
	first.kill(t)
	if n := len(op.Messages(mssantetest.DefaultApp)); n != 0 {
		t.Fatalf("the operator received %d messages before the restart", n)
	}
	second := startServe(t, cfg, db)
	c = val.Client(t, second.url, serveKey)
	again := c.Accepted(apitest.Request(mssantetest.DefaultLab, mssantetest.DefaultApp), apitest.PDF(), "Idempotency-Key", "kill-9")
	if !again.Existing || again.ID != a.ID {
		t.Errorf("after the restart the key gives %+v, want %s", again, a.ID)
	}
	c.WaitStatus(a.ID, mssantetest.DefaultApp, delivery.StatusProcessed, 2*time.Minute)
	if n := len(op.Messages(mssantetest.DefaultApp)); n != 1 {
		t.Errorf("the DPI received %d copies, want 1", n)
	}
	second.stop(t)
}

// The Python example (standard library only) sends a PDF through mss
// serve and polls until the DPI processed it; a validating proxy checks
// its requests and the answers against openapi.json.
func TestServePythonExample(t *testing.T) {
	python := testenv.LookPath(t, "python3", "/usr/bin")
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		python = "/usr/bin/python3" // Debian's, as make test installs it
	}
	op := mssantetest.NewOperator(t, nil)
	p := startServe(t, serveConfig(t, op, nil), "sqlite:"+filepath.Join(t.TempDir(), "outbox.db"))
	proxy := apitest.NewValidator(t).Proxy(t, p.url)
	pdf := filepath.Join(t.TempDir(), "compte-rendu.pdf")
	if err := os.WriteFile(pdf, apitest.PDF(), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(testenv.ModuleRoot(), "examples", "http", "send_document.py")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, "--from", mssantetest.DefaultLab, "--to", mssantetest.DefaultApp, "--pdf", pdf)
	cmd.Env = append(os.Environ(), "MSS_URL="+proxy.URL, "MSS_API_KEY="+serveKey, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s\nmss serve: %s", err, out, p.errors())
	}
	for _, want := range []string{"accepted ", mssantetest.DefaultApp + ": processed (final)", "done: every recipient processed the document"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A refusal: the findings are printed, exit 1.
	bad := exec.CommandContext(ctx, python, script, "--from", mssantetest.DefaultLab, "--to", "someone@gmail.com", "--pdf", pdf)
	bad.Env = cmd.Env
	out, err = bad.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "MSS-TRUST-SPACE") {
		t.Errorf("outside the trust space: %v:\n%s", err, out)
	}
	p.stop(t)
}

// What mss serve refuses to start with.
func TestServeUsage(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	cfg := serveConfig(t, op, nil)
	db := "sqlite:" + filepath.Join(t.TempDir(), "o.db")
	noWL := strings.TrimSuffix(cfg, ".json") + "-nowl.json"
	b, _ := os.ReadFile(cfg)
	os.WriteFile(noWL, bytes.Replace(b, []byte(`"liste_blanche": "listeblanche.xml",`), nil, 1), 0o600)
	for _, tc := range []struct {
		name string
		key  string
		args []string
		want string
	}{
		{"no key", "", []string{"--config", cfg}, "no API key"},
		{"not loopback", serveKey, []string{"--config", cfg, "--listen", "0.0.0.0:0"}, "not a loopback address"},
		{"no liste blanche", serveKey, []string{"--config", noWL}, "no liste blanche"},
		{"no config", serveKey, nil, "no --config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MSS_API_KEY", tc.key)
			var stdout, stderr bytes.Buffer
			code := run(&cmdEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}, append([]string{"serve", "--db", db}, tc.args...))
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tc.want)
			}
		})
	}
}

// TLS with client certificates: a client without a certificate of the
// configured authority is refused at the handshake.
func TestServeTLSClientCertificates(t *testing.T) {
	op := mssantetest.NewOperator(t, nil)
	pki, err := testpki.New("mss serve test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srvCert, err := pki.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := srvCert.WriteFiles(dir, "server"); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteRoot(dir); err != nil {
		t.Fatal(err)
	}
	cfg := serveConfig(t, op, map[string]any{"tls_cert": filepath.Join(dir, "server.pem"), "tls_key": filepath.Join(dir, "server.key"),
		"client_ca": filepath.Join(dir, "ca.pem")})
	p := startServe(t, cfg, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), "--workers", "0")
	if !strings.HasPrefix(p.url, "https://") {
		t.Fatalf("url %s", p.url)
	}
	client, err := pki.Client("dpi-client")
	if err != nil {
		t.Fatal(err)
	}
	tr := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool, Certificates: certs}}}
	}
	req, _ := http.NewRequest(http.MethodGet, p.url+"/v1/messages", nil)
	req.Header.Set("Authorization", "Bearer "+serveKey)
	if resp, err := tr().Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("a client without certificate got %s", resp.Status)
	}
	resp, err := tr(client.TLS).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with a certificate: %s", resp.Status)
	}
	p.stop(t)
}
