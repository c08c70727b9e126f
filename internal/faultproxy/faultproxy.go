// Package faultproxy is a small TCP proxy for fault tests: it forwards the
// connections it accepts on a loopback port to a target server (a real
// Postfix, the embedded test operator) and breaks them at a chosen point.
//
// It works below TLS: it cannot read SMTP commands once STARTTLS has run, so
// the points are defined by traffic, not by commands. The proxy counts the
// bytes the client sent since the server last spoke; an SMTP message body
// larger than Rule.Threshold is the only upload that large in a session
// (commands, the TLS handshake and a client certificate are a few kilobytes),
// so:
//
//   - DropReplyAfterUpload lets the whole message through, final dot
//     included, and cuts both connections instead of forwarding the server's
//     next bytes: the reply to the final dot never reaches the client, and
//     the server has the message (the "outcome unknown" case);
//   - CutMidUpload cuts both connections once Threshold bytes of the upload
//     went through, before the rest: the server never sees the final dot and
//     discards the message (the "failed before the end of DATA" case).
//
// The same counting gives the points of the receivers' faults (issue 16),
// on SMTP and IMAP alike:
//
//   - CutAfterGreeting forwards the server's first bytes, its greeting, and
//     cuts;
//   - CutAtTLSHandshake cuts when the client starts a TLS handshake (an
//     upload that begins with a TLS handshake record: right after STARTTLS,
//     or at once with implicit TLS);
//   - CutMidDownload cuts once Threshold bytes came from the server since
//     the client last spoke: in the middle of a large FETCH response;
//   - CutUploadAfterDownload cuts at the client's first upload after a
//     download of at least Threshold bytes, without forwarding it: the
//     command that follows a FETCH (STORE \Seen) never reaches the server.
//
// Rule.Action says how a connection is cut: closed (the default), reset (a
// TCP RST to the client), or stalled (nothing more is forwarded either way,
// the connections stay open until the client gives up or Close).
package faultproxy

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// Fault is where a connection is cut.
type Fault int

const (
	// None forwards everything.
	None Fault = iota
	// DropReplyAfterUpload cuts the connection when the server answers an
	// upload of at least Threshold bytes, without forwarding the answer.
	DropReplyAfterUpload
	// CutMidUpload cuts the connection after Threshold bytes of an upload,
	// without forwarding the rest.
	CutMidUpload
	// CutAfterGreeting forwards the server's first bytes and cuts.
	CutAfterGreeting
	// CutAtTLSHandshake cuts at the first upload that starts a TLS
	// handshake, without forwarding it.
	CutAtTLSHandshake
	// CutMidDownload cuts once Threshold bytes came from the server since
	// the client last spoke, without forwarding the rest.
	CutMidDownload
	// CutUploadAfterDownload cuts at the client's first upload after a
	// download of at least Threshold bytes, without forwarding it.
	CutUploadAfterDownload
)

// Action is how a connection is cut.
type Action int

const (
	// Close closes both connections.
	Close Action = iota
	// Reset closes the client's connection with a TCP reset (RST), the
	// server's normally.
	Reset
	// Stall forwards nothing more, in either direction, and keeps both
	// connections open (what arrives is read and dropped): the client sees
	// a server that stopped answering.
	Stall
)

// Rule says which fault to inject. Once applies it to the first connection
// that reaches the point only; later connections are forwarded untouched.
type Rule struct {
	Fault     Fault
	Threshold int
	Once      bool
	Action    Action
}

// needsThreshold reports whether f is placed by a byte count.
func (f Fault) needsThreshold() bool {
	switch f {
	case DropReplyAfterUpload, CutMidUpload, CutMidDownload, CutUploadAfterDownload:
		return true
	}
	return false
}

// Proxy forwards connections from Addr to a target.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	rule     Rule
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
	cuts     atomic.Int64
	accepted atomic.Int64 // connections accepted
}

// Start listens on a free loopback port and forwards to target with rule.
func Start(target string, rule Rule) (*Proxy, error) {
	if rule.Fault.needsThreshold() && rule.Threshold <= 0 {
		return nil, errors.New("faultproxy: this fault needs a positive Threshold")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, rule: rule, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cuts is the number of connections cut so far.
func (p *Proxy) Cuts() int { return int(p.cuts.Load()) }

// Conns is the number of connections accepted so far.
func (p *Proxy) Conns() int { return int(p.accepted.Load()) }

// SetRule replaces the rule for the connections accepted from now on.
func (p *Proxy) SetRule(r Rule) {
	p.mu.Lock()
	p.rule = r
	p.mu.Unlock()
}

// Close stops listening, closes every connection and waits for the
// forwarding goroutines.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		rule := p.rule
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		l := &link{p: p, client: c, server: s, rule: rule}
		p.wg.Add(2)
		go l.upstream()
		go l.downstream()
	}
}

// link is one proxied connection.
type link struct {
	p              *Proxy
	client, server net.Conn
	rule           Rule

	mu         sync.Mutex
	uploaded   int  // client bytes since the server last spoke
	downloaded int  // server bytes since the client last spoke
	greeted    bool // the server has spoken
	stalled    bool // a Stall fault: forward nothing more
	done       bool
}

// cut closes both sides once; fault counts it as an injected cut, done the
// rule's way: a Stall leaves both connections open (the loops then read and
// drop), and the link is closed when one of its sides ends.
func (l *link) cut(fault bool) {
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return
	}
	stall := fault && l.rule.Action == Stall && !l.stalled
	if stall {
		l.stalled = true
	} else {
		l.done = true
	}
	l.mu.Unlock()
	if fault {
		l.p.cuts.Add(1)
		if l.rule.Once {
			l.p.SetRule(Rule{})
		}
		if stall {
			return
		}
		if tc, ok := l.client.(*net.TCPConn); ok && l.rule.Action == Reset {
			tc.SetLinger(0) // Close sends a RST
		}
	}
	l.client.Close()
	l.server.Close()
	l.p.mu.Lock()
	delete(l.p.conns, l.client)
	delete(l.p.conns, l.server)
	l.p.mu.Unlock()
}

// isStalled reports whether the link forwards nothing more.
func (l *link) isStalled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stalled
}

// isTLSHandshake reports whether b starts with a TLS handshake record
// (content type 22, version 3.x).
func isTLSHandshake(b []byte) bool {
	return len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

func (l *link) upstream() {
	defer l.p.wg.Done()
	defer l.cut(false)
	buf := make([]byte, 32<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 && l.isStalled() {
			n = 0 // read and dropped
		}
		if n > 0 {
			l.mu.Lock()
			afterDownload := l.rule.Fault == CutUploadAfterDownload && l.downloaded >= l.rule.Threshold
			tls := l.rule.Fault == CutAtTLSHandshake && isTLSHandshake(buf[:n])
			l.downloaded = 0
			l.mu.Unlock()
			if afterDownload || tls {
				l.cut(true)
				if l.isStalled() {
					continue
				}
				return
			}
			l.mu.Lock()
			l.uploaded += n
			over := l.rule.Fault == CutMidUpload && l.uploaded >= l.rule.Threshold
			l.mu.Unlock()
			if over {
				// Forward only what keeps the upload under the threshold.
				keep := n - (l.uploaded - l.rule.Threshold) - 1
				if keep > 0 {
					l.server.Write(buf[:keep])
				}
				l.cut(true)
				if l.isStalled() {
					continue
				}
				return
			}
			if _, werr := l.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (l *link) downstream() {
	defer l.p.wg.Done()
	defer l.cut(false)
	buf := make([]byte, 32<<10)
	for {
		n, err := l.server.Read(buf)
		if n > 0 && l.isStalled() {
			n = 0 // read and dropped
		}
		if n > 0 {
			l.mu.Lock()
			drop := l.rule.Fault == DropReplyAfterUpload && l.uploaded >= l.rule.Threshold
			l.uploaded = 0
			l.downloaded += n
			keep := n
			if l.rule.Fault == CutMidDownload && l.downloaded >= l.rule.Threshold {
				// Forward only what keeps the download under the threshold.
				keep = n - (l.downloaded - l.rule.Threshold) - 1
				drop = true
			}
			greeting := l.rule.Fault == CutAfterGreeting && !l.greeted
			l.greeted = true
			l.mu.Unlock()
			if drop {
				if keep > 0 && keep < n {
					l.client.Write(buf[:keep])
				}
				l.cut(true)
				if l.isStalled() {
					continue
				}
				return
			}
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				return
			}
			if greeting {
				l.cut(true)
				if l.isStalled() {
					continue
				}
				return
			}
		}
		if err != nil {
			return
		}
	}
}
