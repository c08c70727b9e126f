// Command load is the load generator of bench/serve/compare.sh: it sends N
// POST /v1/messages (a PDF of a given size, of random content, and its
// metadata) with C clients at once to mss serve, and prints the rate of 202
// answers, the latency percentiles and the CPU time of its own process
// during the run. With -inprocess it runs the same requests through
// the same handler (package mssante/serve) in its own process, on its own
// SQLite outbox, without network or HTTP parsing: the baseline of what the
// HTTP service adds.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/samplepdf"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/serve"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8480", "mss serve")
	key := flag.String("key", os.Getenv("MSS_API_KEY"), "API key")
	n := flag.Int("n", 500, "requests")
	c := flag.Int("c", 4, "clients at once")
	size := flag.Int("pdf", 100_000, "PDF size in bytes")
	from := flag.String("from", "resultats@labo-test.mssante.fr", "sender")
	to := flag.String("to", "dpi@hopital-test.mssante.fr", "recipient")
	inproc := flag.Bool("inprocess", false, "call the handler in this process (baseline)")
	wl := flag.String("liste-blanche", "", "liste blanche of the in-process baseline")
	flag.Parse()

	pdf, err := randomPDF("Compte rendu d'examens biologiques", []string{"Patient fictif PAT-TROIS Dominique"}, *size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	meta := metadata(*from, *to)
	body, ct := multipartBody(meta, pdf)

	var do func(body []byte) (int, error)
	if *inproc {
		h, closeFn, err := inProcess(*wl)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		defer closeFn()
		do = func(body []byte) (int, error) {
			req := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer bench")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code, nil
		}
	} else {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c}}
		do = func(body []byte) (int, error) {
			req, _ := http.NewRequest(http.MethodPost, *url+"/v1/messages", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+*key)
			resp, err := client.Do(req)
			if err != nil {
				return 0, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, nil
		}
	}
	// One warm-up request, not counted.
	if code, err := do(body); err != nil || code != http.StatusAccepted {
		fmt.Fprintf(os.Stderr, "load: warm-up: %d %v\n", code, err)
		os.Exit(1)
	}
	var next atomic.Int64
	lat := make([]time.Duration, *n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				t0 := time.Now()
				code, err := do(body)
				lat[i] = time.Since(t0)
				if err != nil || code != http.StatusAccepted {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("requests=%d clients=%d pdf=%d body=%d failed=%d seconds=%.2f rps=%.1f p50_ms=%.1f p99_ms=%.1f cpu_ms=%.0f\n",
		*n, *c, len(pdf), len(body), failed.Load(), el.Seconds(), float64(*n)/el.Seconds(),
		float64(pct(0.50).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000, float64(cpu.Microseconds())/1000)
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

// cpuTime is the user + system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// randomPDF is a samplepdf file grown to size bytes by an incremental update
// (ISO 32000-1 §7.5.6) that adds one unreferenced stream of random bytes:
// like the scans and rendered reports products send, it does not deflate,
// so the archive and the message cost what they cost in production.
// samplepdf's own padding repeats a pattern that deflates 40:1. The bytes
// come from a fixed seed: every run sends the same file.
func randomPDF(title string, lines []string, size int) ([]byte, error) {
	base := samplepdf.New(title, lines, 0)
	m := regexp.MustCompile(`trailer\n<<(.*) >>\nstartxref\n(\d+)\n%%EOF\n$`).FindSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("randomPDF: no trailer in samplepdf's file")
	}
	sm := regexp.MustCompile(`/Size (\d+)`).FindSubmatch(m[1])
	if sm == nil {
		return nil, fmt.Errorf("randomPDF: no /Size in samplepdf's trailer")
	}
	obj, _ := strconv.Atoi(string(sm[1]))
	pad := size - len(base) - 300
	if pad <= 0 {
		return base, nil
	}
	filler := make([]byte, pad)
	r := rand.NewChaCha8([32]byte{'m', 's', 's'})
	r.Read(filler)
	b := bytes.NewBuffer(base)
	off := b.Len()
	fmt.Fprintf(b, "%d 0 obj\n<< /Length %d >>\nstream\n", obj, len(filler))
	b.Write(filler)
	b.WriteString("\nendstream\nendobj\n")
	xref := b.Len()
	trailer := regexp.MustCompile(`/Size \d+`).ReplaceAllString(string(m[1]), fmt.Sprintf("/Size %d", obj+1))
	fmt.Fprintf(b, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \ntrailer\n<<%s /Prev %s >>\nstartxref\n%d\n%%%%EOF\n",
		obj, off, trailer, m[2], xref)
	return b.Bytes(), nil
}

// inProcess opens an outbox in a temporary directory and the service on it.
func inProcess(wl string) (http.Handler, func(), error) {
	dir, err := os.MkdirTemp("", "serve-bench-")
	if err != nil {
		return nil, nil, err
	}
	o, err := delivery.Open(context.Background(), "sqlite:"+filepath.Join(dir, "outbox.db"), nil)
	if err != nil {
		return nil, nil, err
	}
	opts := &serve.Options{APIKey: "bench"}
	if wl == "" {
		opts.InsecureSkipRecipientCheck = true
	} else {
		f, err := os.Open(wl)
		if err != nil {
			return nil, nil, err
		}
		w, _, err := annuaire.ParseWhitelist(f, nil)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		opts.RecipientChecker = &annuaire.RecipientChecker{Whitelist: w}
	}
	s, err := serve.New(o, opts)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { o.Close(); os.RemoveAll(dir) }, nil
}

// metadata is a laboratory report for the public test patient; each
// request gets a new document id (none given: the service draws one
// under document_id_root).
func metadata(from, to string) *serve.SendRequest {
	return &serve.SendRequest{
		Sender: serve.SenderInfo{Address: from, Type: "APP", Entity: "Laboratoire Test", NIL: "DEV000000"},
		To:     []string{to},
		Text:   "Bonjour,\n\nVeuillez trouver le compte rendu.\n",
		Patient: serve.PatientInfo{INS: "279035121518989", OID: "1.2.250.1.213.1.4.10", Status: "QUAL", BirthName: "PAT-TROIS",
			BirthGivenNames: "DOMINIQUE MARIE-LOUISE", BirthDate: "1979-03-28", Sex: "F", BirthPlace: "51215"},
		Document: serve.DocumentInfo{
			ID:              &cda.II{Root: "1.2.250.1.999.1.1.1"}, // extension: see multipartBody
			Type:            cda.Code{Code: "11502-2", CodeSystem: cda.OIDLOINC, DisplayName: "CR d'examens biologiques"},
			Title:           "Compte rendu d'examens biologiques",
			ServiceStart:    time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC),
			PracticeSetting: cda.Code{Code: "ETABLISSEMENT", CodeSystem: "1.2.250.1.213.1.1.4.9"},
			FacilityType:    cda.Code{Code: "SA01", CodeSystem: "1.2.250.1.71.4.2.4"},
			Author: serve.Author{RPPS: "10001234565", Civility: "MME", Title: "DR", Given: "Marie", Family: "MARTIN",
				Specialty: cda.Code{Code: "G15_10/SM26", CodeSystem: "1.2.250.1.213.1.1.4.5"}},
			Organization: serve.Org{FINESS: "750000002", Name: "Laboratoire Test"},
		},
	}
}

// multipartBody writes the request body. The document id's extension is
// the same in every request: ids are the caller's (a real product numbers
// its documents); the service does not refuse a repeated document id.
func multipartBody(meta *serve.SendRequest, pdf []byte) ([]byte, string) {
	meta.Document.ID.Extension = "bench"
	var b bytes.Buffer
	ct, err := serve.WriteSendRequest(&b, meta, pdf, "cr.pdf")
	if err != nil {
		panic(err)
	}
	return b.Bytes(), ct
}
