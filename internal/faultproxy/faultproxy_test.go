package faultproxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lineServer greets, then answers each line: "BIG" with 100 KB, anything
// else by echoing it; it records the lines it received.
type lineServer struct {
	ln    net.Listener
	lines chan string
}

func startServer(t *testing.T) *lineServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &lineServer{ln: ln, lines: make(chan string, 100)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.Write([]byte("220 hello\r\n"))
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					s.lines <- strings.TrimSpace(line)
					if strings.TrimSpace(line) == "BIG" {
						c.Write(bytes.Repeat([]byte("x"), 100<<10))
						continue
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func dialProxy(t *testing.T, s *lineServer, r Rule) (*Proxy, net.Conn, *bufio.Reader) {
	t.Helper()
	p, err := Start(s.ln.Addr().String(), r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return p, c, bufio.NewReader(c)
}

func TestCutAfterGreeting(t *testing.T) {
	s := startServer(t)
	p, c, br := dialProxy(t, s, Rule{Fault: CutAfterGreeting, Once: true})
	if line, err := br.ReadString('\n'); err != nil || line != "220 hello\r\n" {
		t.Fatalf("greeting %q %v", line, err)
	}
	c.Write([]byte("EHLO x\r\n"))
	if _, err := br.ReadString('\n'); err == nil {
		t.Fatal("the connection survived the greeting")
	}
	if p.Cuts() != 1 {
		t.Fatalf("%d cuts", p.Cuts())
	}
	// Once: the next connection goes through.
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	br2 := bufio.NewReader(c2)
	br2.ReadString('\n')
	c2.Write([]byte("PING\r\n"))
	if line, err := br2.ReadString('\n'); err != nil || line != "PING\r\n" {
		t.Fatalf("second connection: %q %v", line, err)
	}
}

func TestResetAtTLSHandshake(t *testing.T) {
	s := startServer(t)
	_, c, br := dialProxy(t, s, Rule{Fault: CutAtTLSHandshake, Action: Reset})
	br.ReadString('\n')
	c.Write([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5})
	_, err := br.ReadString('\n')
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after the ClientHello: %v, want a reset", err)
	}
}

func TestCutMidDownload(t *testing.T) {
	s := startServer(t)
	_, c, br := dialProxy(t, s, Rule{Fault: CutMidDownload, Threshold: 32 << 10})
	br.ReadString('\n')
	c.Write([]byte("BIG\r\n"))
	n, err := io.Copy(io.Discard, br)
	if err != nil || n >= 32<<10 || n < 16<<10 {
		t.Fatalf("received %d bytes of 100 KB (%v), want the start only", n, err)
	}
}

func TestCutUploadAfterDownload(t *testing.T) {
	s := startServer(t)
	_, c, br := dialProxy(t, s, Rule{Fault: CutUploadAfterDownload, Threshold: 32 << 10})
	br.ReadString('\n')
	c.Write([]byte("BIG\r\n"))
	if _, err := io.ReadFull(br, make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("STORE\r\n"))
	if _, err := br.ReadString('\n'); err == nil {
		t.Fatal("the command after the download went through")
	}
	for len(s.lines) > 0 {
		if l := <-s.lines; l == "STORE" {
			t.Fatal("the server received the command")
		}
	}
}

func TestStall(t *testing.T) {
	s := startServer(t)
	_, c, br := dialProxy(t, s, Rule{Fault: CutAfterGreeting, Action: Stall})
	br.ReadString('\n')
	c.Write([]byte("PING\r\n"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err := br.ReadString('\n')
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from a stalled link: %v, want a timeout", err)
	}
}
