// Command load is the load generator of bench/serve/run.sh: it sends N
// POST /v1/messages (a PDF of a given size and its metadata) with C
// clients at once to mss serve, and prints the rate of 202 answers and the
// latency percentiles. With -inprocess it runs the same requests through
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
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
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

	pdf := samplepdf.New("Compte rendu d'examens biologiques", []string{"Patient fictif PAT-TROIS Dominique"}, *size)
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
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("requests=%d clients=%d pdf=%d body=%d failed=%d seconds=%.2f rps=%.1f p50_ms=%.1f p99_ms=%.1f\n",
		*n, *c, len(pdf), len(body), failed.Load(), el.Seconds(), float64(*n)/el.Seconds(),
		float64(pct(0.50).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000)
	if failed.Load() > 0 {
		os.Exit(1)
	}
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
