// Package mailservers starts a real Postfix (SMTP submission) and a real
// Dovecot (IMAP, LMTP delivery) in a temporary directory, for the SDK's
// integration tests: the transports must work against the servers that
// MSSanté operators actually run, not only against toy servers.
//
// The pair is configured the way an operator's front end is:
//
//   - Postfix listens on a loopback port for submission with STARTTLS
//     required (smtpd_tls_security_level=encrypt), TLS 1.2 or later, and a
//     client certificate issued by the test CA required and checked
//     (smtpd_tls_req_ccert). Recipients of Domain are virtual mailboxes,
//     unknown ones are refused with 550 5.1.1, and addresses listed in
//     Options.TempFail are refused with 451 4.3.2 by a check_recipient_access
//     map. Accepted mail is delivered to Dovecot over LMTP on loopback.
//   - A second Postfix submission port (PSCSubmissionAddr) serves personal
//     and organisational mailboxes: STARTTLS required, no client
//     certificate, SASL delegated to Dovecot (smtpd_sasl_type=dovecot).
//   - Dovecot listens for IMAP on a loopback port with STARTTLS (plaintext
//     login refused before TLS) and on another with implicit TLS, TLS 1.2 or
//     later; it accepts AUTHENTICATE PLAIN with the password of every user,
//     EXTERNAL with a client certificate whose common name is the address,
//     and XOAUTH2 with tokens from IssueToken, checked by its oauth2 passdb
//     against an RFC 7662 introspection endpoint this package serves (a
//     stand-in for Pro Santé Connect).
//
// Everything (configuration, queue, mailboxes, logs) lives under one
// directory, every port is a free loopback port, so several instances may run
// at once. The programs come from Debian's postfix, dovecot-imapd and
// dovecot-lmtpd packages; Start needs root (Postfix's master and Dovecot drop
// their privileges to the postfix, mail and dovenull users).
package mailservers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mssante-go/sdk/internal/testpki"
)

// Options configure Start. The zero value is usable.
type Options struct {
	// Domain is the virtual mailbox domain (default "hopital.mssante.test").
	Domain string
	// Users are the local parts of the mailboxes (default "alice", "bob").
	Users []string
	// TempFail are full addresses that Postfix refuses with 451 4.3.2.
	TempFail []string
	// Password is every user's IMAP password (default "secret").
	Password string
	// PKI issues the server and client certificates; a new one is created
	// when nil.
	PKI *testpki.PKI
}

// Servers is a running Postfix and Dovecot pair.
type Servers struct {
	Dir            string // the temporary directory holding everything
	Domain         string
	Users          []string // full addresses
	Password       string
	PKI            *testpki.PKI
	CAFile         string // PEM file of the test root
	SubmissionAddr string // Postfix submission, STARTTLS, client certificate required
	IMAPAddr       string // Dovecot IMAP with STARTTLS
	IMAPSAddr      string // Dovecot IMAP with implicit TLS
	// PSCSubmissionAddr is a second Postfix submission port for personal
	// and organisational mailboxes: STARTTLS required, no client
	// certificate, SASL (XOAUTH2, PLAIN) checked by Dovecot, whose oauth2
	// passdb asks a token introspection endpoint run by this package
	// (standing in for Pro Santé Connect; see IssueToken).
	PSCSubmissionAddr string

	postfixConf string
	doveConf    string
	tokens      tokenStore
	httpSrv     *http.Server
}

// Programs lists the external programs Start needs, for testenv.LookPath.
var Programs = []string{"postfix", "postconf", "dovecot", "/usr/lib/dovecot/imap", "/usr/lib/dovecot/lmtp"}

// Start writes the configuration of both servers under a new directory in
// parent (os.TempDir() when empty), starts them and waits until their ports
// answer. Call Stop to stop them and remove the directory. opts nil means
// the defaults of Options.
func Start(ctx context.Context, parent string, opts *Options) (_ *Servers, err error) {
	var opt Options
	if opts != nil {
		opt = *opts
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("mailservers: Postfix and Dovecot need to be started as root")
	}
	for _, p := range Programs {
		if _, err := lookPath(p); err != nil {
			return nil, err
		}
	}
	s := &Servers{Domain: opt.Domain, Password: opt.Password, PKI: opt.PKI}
	if s.Domain == "" {
		s.Domain = "hopital.mssante.test"
	}
	if s.Password == "" {
		s.Password = "secret"
	}
	users := opt.Users
	if len(users) == 0 {
		users = []string{"alice", "bob"}
	}
	for _, u := range users {
		s.Users = append(s.Users, u+"@"+s.Domain)
	}
	if s.PKI == nil {
		if s.PKI, err = testpki.New("Test IGC Santé Root"); err != nil {
			return nil, err
		}
	}
	if s.Dir, err = os.MkdirTemp(parent, "mailservers-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w%s", err, s.Logs())
			s.Stop()
		}
	}()
	// The unprivileged daemons must be able to traverse the directory.
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.writePKI(); err != nil {
		return nil, err
	}
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	s.SubmissionAddr = loop(ports[0])
	s.IMAPAddr = loop(ports[1])
	s.IMAPSAddr = loop(ports[2])
	lmtpAddr := loop(ports[3])
	s.PSCSubmissionAddr = loop(ports[4])
	authAddr := loop(ports[5])
	introspectURL, err := s.startIntrospection()
	if err != nil {
		return nil, err
	}
	if err := s.writeDovecot(lmtpAddr, authAddr, introspectURL); err != nil {
		return nil, err
	}
	if err := s.writePostfix(lmtpAddr, authAddr, opt.TempFail); err != nil {
		return nil, err
	}
	if out, err := s.run(ctx, "dovecot", "-c", s.doveConf); err != nil {
		return nil, fmt.Errorf("mailservers: dovecot: %v: %s", err, out)
	}
	if out, err := s.run(ctx, "postfix", "-c", s.postfixConf, "start"); err != nil {
		return nil, fmt.Errorf("mailservers: postfix start: %v: %s", err, out)
	}
	for _, a := range []string{s.SubmissionAddr, s.PSCSubmissionAddr, s.IMAPAddr, s.IMAPSAddr, lmtpAddr, authAddr} {
		if err := waitPort(ctx, a); err != nil {
			return nil, err
		}
	}
	// Make sure the ports are ours, not another process's that took a port
	// between freePorts and the servers binding it.
	if err := checkBanner(s.SubmissionAddr, "220 mta."+s.Domain); err != nil {
		return nil, err
	}
	if err := checkBanner(s.IMAPAddr, "* OK"); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop stops both servers and removes their directory. It may be called
// more than once.
func (s *Servers) Stop() {
	if s == nil || s.Dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if s.postfixConf != "" {
		s.run(ctx, "postfix", "-c", s.postfixConf, "stop")
	}
	if s.doveConf != "" {
		s.run(ctx, "dovecot", "-c", s.doveConf, "stop")
	}
	if s.httpSrv != nil {
		s.httpSrv.Close()
	}
	// Wait for the masters to go away before removing their files.
	for _, pidFile := range []string{
		filepath.Join(s.Dir, "postfix", "queue", "pid", "master.pid"),
		filepath.Join(s.Dir, "dovecot", "run", "master.pid"),
	} {
		waitGone(ctx, pidFile)
	}
	os.RemoveAll(s.Dir)
	s.Dir = ""
}

// Client issues a client certificate for an address of the test domain
// (common name and e-mail SAN), which Postfix accepts and Dovecot maps to
// the mailbox for SASL EXTERNAL.
func (s *Servers) Client(address string) (*testpki.Issued, error) {
	return s.PKI.Client(address, address)
}

// Logs returns the end of the Postfix and Dovecot logs, to explain a failure.
func (s *Servers) Logs() string {
	if s == nil || s.Dir == "" {
		return ""
	}
	var b strings.Builder
	for _, f := range []string{"postfix/maillog", "dovecot/dovecot.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, f))
		if err != nil {
			continue
		}
		if len(data) > 8000 {
			data = data[len(data)-8000:]
		}
		fmt.Fprintf(&b, "\n--- %s ---\n%s", f, data)
	}
	return b.String()
}

// Mailbox returns the maildir of an address.
func (s *Servers) Mailbox(address string) string {
	local, domain, _ := strings.Cut(address, "@")
	return filepath.Join(s.Dir, "mail", domain, local, "Maildir")
}

// Delivered returns the messages delivered to address (its maildir's new
// and cur files) that contain marker, waiting until at least one is there
// or ctx ends (then the error says what the logs say).
func (s *Servers) Delivered(ctx context.Context, address, marker string) ([][]byte, error) {
	for {
		var found [][]byte
		for _, sub := range []string{"new", "cur"} {
			files, _ := filepath.Glob(filepath.Join(s.Mailbox(address), sub, "*"))
			for _, f := range files {
				if data, err := os.ReadFile(f); err == nil && bytes.Contains(data, []byte(marker)) {
					found = append(found, data)
				}
			}
		}
		if len(found) > 0 {
			return found, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("mailservers: nothing with %q delivered to %s: %w%s", marker, address, ctx.Err(), s.Logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Servers) writePKI() error {
	srv, err := s.PKI.Server("localhost", "127.0.0.1", "::1")
	if err != nil {
		return err
	}
	if err := srv.WriteFiles(s.Dir, "server"); err != nil {
		return err
	}
	// Dovecot reads the key as root, Postfix too: 0600 is fine.
	if err := s.PKI.WriteRoot(s.Dir); err != nil {
		return err
	}
	s.CAFile = filepath.Join(s.Dir, "ca.pem")
	return nil
}

func (s *Servers) writeDovecot(lmtpAddr, authAddr, introspectURL string) error {
	dir := filepath.Join(s.Dir, "dovecot")
	mail := filepath.Join(s.Dir, "mail")
	for _, d := range []string{dir, filepath.Join(dir, "run"), filepath.Join(dir, "state"), mail} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	uid, gid, err := lookupUser("mail")
	if err != nil {
		return err
	}
	if err := os.Chown(mail, uid, gid); err != nil {
		return err
	}
	var pw bytes.Buffer
	for _, u := range s.Users {
		fmt.Fprintf(&pw, "%s:{PLAIN}%s::::::\n", u, s.Password)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), pw.Bytes(), 0o644); err != nil {
		return err
	}
	// The "nopassword" passdb lets EXTERNAL log in with the identity taken
	// from a verified client certificate, and only with it.
	var nopw bytes.Buffer
	for _, u := range s.Users {
		fmt.Fprintf(&nopw, "%s:::::::nopassword=y\n", u)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd-cert"), nopw.Bytes(), 0o644); err != nil {
		return err
	}
	_, imapPort, _ := net.SplitHostPort(s.IMAPAddr)
	_, imapsPort, _ := net.SplitHostPort(s.IMAPSAddr)
	_, lmtpPort, _ := net.SplitHostPort(lmtpAddr)
	_, authPort, _ := net.SplitHostPort(authAddr)
	oauth := fmt.Sprintf(`introspection_mode = post
introspection_url = %s
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
`, introspectURL)
	if err := os.WriteFile(filepath.Join(dir, "oauth2.conf.ext"), []byte(oauth), 0o644); err != nil {
		return err
	}
	conf := fmt.Sprintf(`# Generated by internal/mailservers for a test run.
instance_name = mss-%[9]s
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
shutdown_clients = yes
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = %[7]d
mail_uid = %[7]d
mail_gid = %[8]d
mail_location = maildir:%[2]s/%%d/%%n/Maildir
ssl = required
ssl_cert = <%[3]s/server.pem
ssl_key = <%[3]s/server.key
ssl_ca = <%[3]s/ca.pem
ssl_min_protocol = TLSv1.2
ssl_cipher_list = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256
ssl_verify_client_cert = yes
ssl_require_crl = no
ssl_cert_username_field = commonName
auth_ssl_username_from_cert = yes
auth_mechanisms = plain external xoauth2
disable_plaintext_auth = yes
auth_verbose = yes
passdb {
  driver = passwd-file
  args = %[1]s/passwd-cert
  mechanisms = external
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN %[1]s/passwd
  mechanisms = plain
}
passdb {
  driver = oauth2
  args = %[1]s/oauth2.conf.ext
  mechanisms = xoauth2
}
userdb {
  driver = static
  args = uid=%[7]d gid=%[8]d home=%[2]s/%%d/%%n allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]s
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[5]s
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[6]s
  }
}
protocol lmtp {
  ssl = no
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
  inet_listener {
    address = 127.0.0.1
    port = %[10]s
  }
}
`, dir, mail, s.Dir, imapPort, imapsPort, lmtpPort, uid, gid, filepath.Base(s.Dir), authPort)
	s.doveConf = filepath.Join(dir, "dovecot.conf")
	return os.WriteFile(s.doveConf, []byte(conf), 0o644)
}

func (s *Servers) writePostfix(lmtpAddr, authAddr string, tempFail []string) error {
	dir := filepath.Join(s.Dir, "postfix")
	for _, d := range []string{dir, filepath.Join(dir, "queue"), filepath.Join(dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	uid, gid, err := lookupUser("postfix")
	if err != nil {
		return err
	}
	if err := os.Chown(filepath.Join(dir, "data"), uid, gid); err != nil {
		return err
	}
	var mailboxes, access bytes.Buffer
	for _, u := range s.Users {
		fmt.Fprintf(&mailboxes, "%s OK\n", u)
	}
	for _, a := range tempFail {
		fmt.Fprintf(&mailboxes, "%s OK\n", a)
		fmt.Fprintf(&access, "%s 451 4.3.2 Mailbox temporarily unavailable, try again later\n", a)
	}
	if err := os.WriteFile(filepath.Join(dir, "vmailbox"), mailboxes.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "rcpt_access"), access.Bytes(), 0o644); err != nil {
		return err
	}
	main := fmt.Sprintf(`# Generated by internal/mailservers for a test run.
compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.%[2]s
mydomain = %[2]s
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
smtputf8_enable = no
biff = no
alias_maps =
alias_database =
local_recipient_maps =
relayhost =
virtual_mailbox_domains = %[2]s
virtual_mailbox_maps = texthash:%[1]s/vmailbox
virtual_transport = lmtp:inet:%[3]s
lmtp_tls_security_level = none
smtpd_tls_cert_file = %[4]s/server.pem
smtpd_tls_key_file = %[4]s/server.key
smtpd_tls_CAfile = %[4]s/ca.pem
smtpd_tls_loglevel = 1
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_mandatory_ciphers = high
tls_high_cipherlist = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256
smtpd_relay_restrictions = permit_tls_all_clientcerts, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:%[1]s/rcpt_access, permit
smtpd_delay_reject = yes
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_rate_limit = 0
anvil_rate_time_unit = 60s
message_size_limit = 26214400
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 5s
`, dir, s.Domain, lmtpAddr, s.Dir)
	master := fmt.Sprintf(`# Generated by internal/mailservers for a test run.
%[1]s inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_req_ccert=yes
%[2]s inet n - n - - smtpd
  -o syslog_name=postfix/submission-psc
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path=inet:%[3]s
  -o smtpd_sasl_security_options=noanonymous
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject_unauth_destination
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`, s.SubmissionAddr, s.PSCSubmissionAddr, authAddr)
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte(main), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "master.cf"), []byte(master), 0o644); err != nil {
		return err
	}
	s.postfixConf = dir
	return nil
}

func (s *Servers) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	p, err := lookPath(name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The daemons inherit the output: a pipe would never be closed, so
	// collect it in a file.
	out, err := os.CreateTemp("", "mailservers-out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	data, _ := os.ReadFile(out.Name())
	return data, err
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/lib/postfix/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("mailservers: program %q not found (install postfix, dovecot-imapd, dovecot-lmtpd)", name)
}

func lookupUser(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, fmt.Errorf("mailservers: %w", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

func loop(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func waitPort(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mailservers: %s does not answer: %w", addr, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func checkBanner(addr, prefix string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, prefix) {
		return fmt.Errorf("mailservers: %s answered %q (%v), want %q: port taken by another process?", addr, line, err, prefix)
	}
	return nil
}

func waitGone(ctx context.Context, pidFile string) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return
	}
	for ctx.Err() == nil {
		p, err := os.FindProcess(pid)
		if err != nil || p.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
