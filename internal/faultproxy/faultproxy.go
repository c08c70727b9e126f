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
)

// Rule says which fault to inject. Once applies it to the first connection
// that reaches the point only; later connections are forwarded untouched.
type Rule struct {
	Fault     Fault
	Threshold int
	Once      bool
}

// Proxy forwards connections from Addr to a target.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	rule  Rule
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	cuts  atomic.Int64
}

// Start listens on a free loopback port and forwards to target with rule.
func Start(target string, rule Rule) (*Proxy, error) {
	if rule.Fault != None && rule.Threshold <= 0 {
		return nil, errors.New("faultproxy: a fault needs a positive Threshold")
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

	mu       sync.Mutex
	uploaded int // client bytes since the server last spoke
	done     bool
}

// cut closes both sides once; fault counts it as an injected cut.
func (l *link) cut(fault bool) {
	l.mu.Lock()
	already := l.done
	l.done = true
	l.mu.Unlock()
	if already {
		return
	}
	if fault {
		l.p.cuts.Add(1)
		if l.rule.Once {
			l.p.SetRule(Rule{})
		}
	}
	l.client.Close()
	l.server.Close()
	l.p.mu.Lock()
	delete(l.p.conns, l.client)
	delete(l.p.conns, l.server)
	l.p.mu.Unlock()
}

func (l *link) upstream() {
	defer l.p.wg.Done()
	defer l.cut(false)
	buf := make([]byte, 32<<10)
	for {
		n, err := l.client.Read(buf)
		if n > 0 {
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
		if n > 0 {
			l.mu.Lock()
			drop := l.rule.Fault == DropReplyAfterUpload && l.uploaded >= l.rule.Threshold
			l.uploaded = 0
			l.mu.Unlock()
			if drop {
				l.cut(true)
				return
			}
			if _, werr := l.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
