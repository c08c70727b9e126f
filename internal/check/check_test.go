package check

import (
	"net/mail"
	"testing"
)

type sample struct {
	COG   string          `validate:"cog"`
	Value string          `validate:"nocrlf"`
	Addr  string          `validate:"required,addrspec"`
	ID    string          `validate:"omitempty,msgid"`
	Type  string          `validate:"omitempty,mediatype"`
	To    []*mail.Address `validate:"dive,required,mailaddr"`
}

func TestStruct(t *testing.T) {
	ok := sample{COG: "2A004", Value: "x", Addr: "a@b.fr", ID: "<1@b.fr>", Type: "text/plain; charset=utf-8",
		To: []*mail.Address{{Name: "A", Address: "a@b.fr"}}}
	if errs := Struct(&ok); errs != nil {
		t.Fatalf("valid sample: %+v", errs)
	}
	bad := sample{COG: "2C004", Value: "a\r\nb", Addr: "nope", ID: "no-at", Type: "text/", To: []*mail.Address{nil, {Address: "x"}}}
	want := map[string]string{"COG": "cog", "Value": "nocrlf", "Addr": "addrspec", "ID": "msgid", "Type": "mediatype"}
	got := map[string]string{}
	var to []string
	for _, fe := range Struct(&bad) {
		if fe.Field == "To[0]" || fe.Field == "To[1]" {
			to = append(to, fe.Tag)
			continue
		}
		got[fe.Field] = fe.Tag
	}
	for f, tag := range want {
		if got[f] != tag {
			t.Errorf("%s: tag %q, want %q", f, got[f], tag)
		}
	}
	if len(to) != 2 || to[0] != "required" || to[1] != "mailaddr" {
		t.Errorf("To: %v, want [required mailaddr]", to)
	}
}
