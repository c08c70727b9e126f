package imapclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"unicode/utf8"

	"github.com/mssante-go/sdk/limit"
)

// Cursor remembers, across runs, the highest UID handed over in a mailbox
// and the mailbox's UIDVALIDITY (RFC 3501 §2.3.1.1). With a Cursor, Receive
// hands over every message above that UID whatever its flags — a person
// reading the mailbox in the operator's webmail does not hide messages from
// the software — and saves the cursor after each message the handler stored.
type Cursor interface {
	// Load returns the saved position; zeros when there is none.
	Load(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error)
	// Save records the position after a message was handled.
	Save(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error
}

// FileCursor is a Cursor kept in a small JSON file, replaced atomically at
// each Save. It is safe for concurrent use within one process.
type FileCursor struct {
	Path string
	mu   sync.Mutex
}

type cursorPos struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
}

// maxCursorFile bounds the cursor file read: a few bytes per mailbox.
const maxCursorFile = 1 << 20

func (f *FileCursor) read() (map[string]cursorPos, error) {
	m := map[string]cursorPos{}
	file, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := limit.ReadAll(file, "cursor file "+f.Path, maxCursorFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("imapclient: cursor file %s: %w", f.Path, err)
	}
	if m == nil { // the file says null
		m = map[string]cursorPos{}
	}
	return m, nil
}

// Load implements Cursor.
func (f *FileCursor) Load(_ context.Context, mailbox string) (uint32, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return 0, 0, err
	}
	p := m[mailbox]
	return p.UIDValidity, p.LastUID, nil
}

// Save implements Cursor. A mailbox name that is not UTF-8 cannot be a key
// of the JSON file: it is refused.
func (f *FileCursor) Save(_ context.Context, mailbox string, uidValidity, lastUID uint32) error {
	if !utf8.ValidString(mailbox) {
		return fmt.Errorf("imapclient: cursor file %s: mailbox name %q is not UTF-8", f.Path, mailbox)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	m[mailbox] = cursorPos{UIDValidity: uidValidity, LastUID: lastUID}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".cursor-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.Path)
}
