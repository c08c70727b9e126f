package finding

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestList(t *testing.T) {
	var l List
	if b, _ := json.Marshal(l); string(b) != "[]" {
		t.Errorf("empty list marshals to %s", b)
	}
	l.Add(Warning, "R1", "/a", "spec §1", "odd %d", 1)
	l.Add(Error, "R2", "", "", "bad")
	l.Add(Info, "R1", "", "", "note")
	if !l.HasErrors() || l.Count(Warning) != 1 || len(l.Errors()) != 1 || len(l.Warnings()) != 1 || len(l.ByRule("R1")) != 2 {
		t.Errorf("unexpected counts: %v", l)
	}
	if got := l[0].String(); got != "warning R1 at /a: odd 1 [spec §1]" {
		t.Errorf("String() = %q", got)
	}
	b, err := json.Marshal(l[:1])
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[{"level":"warning","rule":"R1","location":"/a","message":"odd 1","spec":"spec §1"}]` {
		t.Errorf("JSON = %s", b)
	}
	var back List
	if err := json.Unmarshal(b, &back); err != nil || back[0] != l[0] {
		t.Errorf("round trip: %v %v", back, err)
	}
	var lv Level
	if err := lv.UnmarshalText([]byte("nope")); err == nil {
		t.Error("unknown level accepted")
	}
	if Level(7).String() != "Level(7)" {
		t.Error(Level(7).String())
	}
}

func ExampleList() {
	var fs List
	fs.Add(Warning, "XDM-EBRIM-ORDER", "METADATA.XML", "xdm.md §4", "Name before Slot")
	fs.Add(Error, "CDA-TITLE", "/ClinicalDocument/title", "cda.md §2", "title is empty")
	fmt.Println(fs.HasErrors(), fs.Count(Warning))
	for _, f := range fs.Errors() {
		fmt.Println(f)
	}
	// Output:
	// true 1
	// error CDA-TITLE at /ClinicalDocument/title: title is empty [cda.md §2]
}
