package mssconfig

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParse: any configuration file is read or refused with an error,
// never half-read; what is accepted is one object of known keys, and
// written back it reads the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"smtp": "smtp.operateur.example:587", "ca": "igc.pem", "p12": "dpi.p12", "smtp_auth": "none", "liste_blanche": "lb.xml"}`))
	f.Add([]byte(`{"smtp": "x", "mailboxes": [{"address": "a@b.fr", "token": "t"}, {"address": ""}]}`))
	f.Add([]byte(`{"smtp": "x"} {"ca": "y"}`))
	f.Add([]byte(`{"unknown": 1}`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "/etc/mss")
		if err != nil {
			return
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(again, "/etc/mss")
		if err != nil {
			t.Fatalf("%q read, written back as %s, refused: %v", data, again, err)
		}
		twice, _ := json.Marshal(back)
		if !bytes.Equal(again, twice) {
			t.Fatalf("%q read as %s, then as %s", data, again, twice)
		}
	})
}
