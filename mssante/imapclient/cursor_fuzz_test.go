package imapclient

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzFileCursor: whatever the cursor file holds, Load fails cleanly or
// reads a position; a Save that follows is read back, and keeps the
// positions of the other mailboxes.
func FuzzFileCursor(f *testing.F) {
	f.Add([]byte(`{"INBOX":{"uidvalidity":7,"last_uid":42}}`), "INBOX", uint32(7), uint32(43))
	f.Add([]byte(`{"INBOX":{"uidvalidity":-1}}`), "Sent", uint32(1), uint32(1))
	f.Add([]byte("\x00\xff{"), "", uint32(0), uint32(0))
	f.Add([]byte(`null`), "INBOX", uint32(1), uint32(2)) // found by the fuzzer: Save panicked
	f.Add([]byte(`{}`), "\x8f", uint32(203), uint32(43)) // found by the fuzzer: a key JSON cannot keep
	f.Fuzz(func(t *testing.T, data []byte, mailbox string, validity, uid uint32) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "cursor.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c := &FileCursor{Path: path}
		before, err := c.read()
		if err != nil {
			return
		}
		if _, _, err := c.Load(ctx, mailbox); err != nil {
			t.Fatalf("read succeeded, Load failed: %v", err)
		}
		if err := c.Save(ctx, mailbox, validity, uid); err != nil {
			if utf8.ValidString(mailbox) {
				t.Fatalf("Save: %v", err)
			}
			return
		}
		v, u, err := c.Load(ctx, mailbox)
		if err != nil || v != validity || u != uid {
			t.Fatalf("saved %d/%d, loaded %d/%d, %v", validity, uid, v, u, err)
		}
		after, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		for mb, p := range before {
			if mb != mailbox && after[mb] != p {
				t.Fatalf("Save for %q changed %q: %+v -> %+v", mailbox, mb, p, after[mb])
			}
		}
	})
}
