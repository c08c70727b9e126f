package main

import (
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	gomail "github.com/emersion/go-message/mail"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/msc"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestJSONSnakeCase: every key the --json outputs can print is snake_case
// (they once mixed snake_case with Go field names, "Matricule",
// "BirthName" in mss message inspect --json).
func TestJSONSnakeCase(t *testing.T) {
	for _, v := range []any{
		insCheckResult{}, cdaFinding{}, cdaInspectResult{}, xdmVerifyResult{}, xdmInspectResult{},
		lintResult{}, recipientJSON{}, xdmBuildResult{}, mscAddressResult{}, mscClosingResult{}, fetchResult{}, mssante.Incoming{}, mssante.PartInfo{}, mssante.IncomingAttachment{}, mssante.XDMContent{},
		mssante.Report{}, msc.Bounce{}, receiptResult{},
		annuaire.Mailbox{}, annuaire.Operator{}, annuaire.Diff{}, mssantetest.Description{},
		whitelistReport{}, annuaire.RefreshStatus{}, annuaire.SignatureVerdict{},
	} {
		checkJSONKeys(t, reflect.TypeOf(v), reflect.TypeOf(v).String(), map[reflect.Type]bool{})
	}
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func checkJSONKeys(t *testing.T, typ reflect.Type, path string, seen map[reflect.Type]bool) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || seen[typ] {
		return
	}
	if typ.Implements(jsonMarshaler) || reflect.PointerTo(typ).Implements(jsonMarshaler) ||
		typ.Implements(textMarshaler) || reflect.PointerTo(typ).Implements(textMarshaler) {
		return
	}
	seen[typ] = true
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			checkJSONKeys(t, f.Type, path, seen)
			continue
		}
		if !snakeCase.MatchString(name) {
			t.Errorf("%s.%s: JSON key %q is not snake_case", path, f.Name, name)
		}
		checkJSONKeys(t, f.Type, path+"."+f.Name, seen)
	}
}

// TestIncomingJSONAddresses: the addresses of mss message inspect --json are
// {"name", "address"} objects.
func TestIncomingJSONAddresses(t *testing.T) {
	in := &mssante.Incoming{Kind: mssante.KindMessage, From: &gomail.Address{Name: "Dr A", Address: "a@x.mssante.fr"},
		To: []*gomail.Address{{Address: "b@y.mssante.fr"}}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"from":{"name":"Dr A","address":"a@x.mssante.fr"}`, `"to":[{"address":"b@y.mssante.fr"}]`, `"kind":"message"`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
	if strings.Contains(s, `"Name"`) || strings.Contains(s, `"Address"`) {
		t.Errorf("Go field names in %s", s)
	}
}
