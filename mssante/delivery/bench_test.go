package delivery

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/mssante/smtpclient"
	"github.com/mssante-go/sdk/mssante/tlsauth"
)

// The benchmarks of docs/benchmarks.md (durable delivery). Run them with
// bench/delivery/compare.sh (each sub-benchmark its own invocation of the
// test binary, interleaved over rounds), or:
//
//	go test -run '^$' -bench . -benchtime 1000x ./mssante/delivery
//
// Each iteration is one 10 kB message to one recipient of the embedded
// operator, over TLS on loopback; PostgreSQL is the private server of
// internal/pgtest with fsync on, SQLite a file with synchronous=FULL.

func benchMessage(i int) string {
	id := fmt.Sprintf("bench-%d@hopital-test.mssante.fr", i)
	body := strings.Repeat(strings.Repeat("0123456789", 7)+"\r\n", 140) // ~10 kB
	return strings.Replace(testMessage(id, mssantetest.DefaultApp, []string{mssantetest.DefaultLab}), "Bonjour.\r\n", body, 1)
}

func benchDatabases(b *testing.B) map[string]func() string {
	return map[string]func() string{
		"sqlite":   func() string { return "sqlite:" + filepath.Join(b.TempDir(), "outbox.db") },
		"postgres": func() string { return pgtest.Database(b) },
	}
}

func benchTransport(b *testing.B, op *mssantetest.Operator, conns int) *smtpclient.Client {
	cert, err := op.ClientCert(mssantetest.DefaultApp)
	if err != nil {
		b.Fatal(err)
	}
	c, err := smtpclient.New(&smtpclient.Options{Addr: op.SMTPAddr(), MaxConns: conns, RecipientChecker: op.RecipientChecker(),
		TLS: tlsauth.TLSOptions{RootCAs: op.RootCAs(), ServerName: "localhost", Certificate: &cert}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkEnqueue: messages made durable per second, one goroutine.
func BenchmarkEnqueue(b *testing.B) {
	for name, dsn := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			o := mustOpen(b, dsn(), nil)
			msgs := make([]string, b.N)
			for i := range msgs {
				msgs[i] = benchMessage(i)
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := o.Enqueue(context.Background(), strings.NewReader(msgs[i]), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkSend: messages sent per second from the outbox (already
// enqueued) until every one is submitted, with 1 and 3 workers, beside
// plain mssante.Send of the same messages on the same transport (1 and 3
// goroutines).
func BenchmarkSend(b *testing.B) {
	for _, workers := range []int{1, 3} {
		b.Run(fmt.Sprintf("plain-send/workers=%d", workers), func(b *testing.B) {
			op := mssantetest.NewOperator(b, nil)
			c := benchTransport(b, op, workers)
			msgs := make([][]byte, b.N)
			for i := range msgs {
				msgs[i] = []byte(benchMessage(i))
			}
			env := &mssante.Envelope{From: mssantetest.DefaultApp, To: []string{mssantetest.DefaultLab}}
			next := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						if _, err := c.Send(context.Background(), env, bytes.NewReader(msgs[i])); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for i := range b.N {
				next <- i
			}
			close(next)
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
		for name, dsn := range benchDatabases(b) {
			b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
				op := mssantetest.NewOperator(b, nil)
				c := benchTransport(b, op, workers)
				o := mustOpen(b, dsn(), &Options{Transport: c, Workers: workers, FetchInterval: -1})
				for i := range b.N {
					if _, err := o.Enqueue(context.Background(), strings.NewReader(benchMessage(i)), nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				if err := o.RunUntilIdle(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if n := len(op.Messages(mssantetest.DefaultLab)); n != b.N {
					b.Fatalf("%d messages delivered, want %d", n, b.N)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
