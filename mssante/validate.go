package mssante

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mssante-go/sdk/internal/check"
)

// fieldErrors turns the broken rules of the struct tags of Sender, Message
// and Attachment into this package's typed errors, the most fundamental
// first: a missing sender address (ErrNoSender), an invalid address
// (ErrAddress), a missing NIL (ErrNoNIL), a value that would corrupt the
// header (ErrHeader), an unknown mailbox type (ErrNoSender).
func fieldErrors(errs []check.FieldError, v any) error {
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return fieldRank(errs[i]) < fieldRank(errs[j]) })
	fe := errs[0]
	val := fmt.Sprint(fe.Value)
	switch {
	case fe.Field == "Address" && fe.Tag == "required":
		return ErrNoSender
	case fe.Tag == "addrspec":
		return fmt.Errorf("%w: %q", ErrAddress, val)
	case fe.Tag == "mailaddr" || (fe.Tag == "required" && isAddressList(fe.Path)):
		return fmt.Errorf("%w: %s: a nil, invalid or unsafe address", ErrAddress, fe.Path)
	case fe.Field == "NIL" && fe.Tag == "required":
		return ErrNoNIL
	case fe.Tag == "nocrlf":
		return fmt.Errorf("%w: %s contains a line break or NUL", ErrHeader, fe.Path)
	case fe.Tag == "msgid":
		return fmt.Errorf("%w: %q is not a msg-id (id-left@id-right)", ErrHeader, val)
	case fe.Field == "INS":
		return fmt.Errorf("%w: X-MSS-INS must be O or N, not %q", ErrHeader, val)
	case fe.Field == "Type":
		return fmt.Errorf("%w: unknown mailbox type %q", ErrNoSender, val)
	case fe.Tag == "mediatype":
		return fmt.Errorf("%w: attachment content type %q does not parse", ErrHeader, val)
	case fe.Tag == "required" && strings.Contains(fe.Path, "Attachments"):
		return fmt.Errorf("%w: nil attachment", ErrHeader)
	}
	return fmt.Errorf("%w: %s breaks the rule %q", ErrHeader, fe.Path, fe.Tag)
}

// fieldRank orders the broken rules as Validate reports them.
func fieldRank(fe check.FieldError) int {
	switch {
	case fe.Field == "Address" && fe.Tag == "required":
		return 0
	case fe.Tag == "addrspec":
		return 1
	case fe.Field == "NIL" && fe.Tag == "required":
		return 2
	case fe.Tag == "mailaddr" || isAddressList(fe.Path):
		return 3
	case fe.Tag == "nocrlf":
		return 4
	case fe.Tag == "msgid":
		return 5
	case fe.Field == "INS":
		return 6
	case fe.Field == "Type":
		return 7
	}
	return 8
}

func isAddressList(path string) bool {
	for _, p := range []string{".To[", ".Cc[", ".Bcc[", ".ReplyTo["} {
		if strings.Contains(path, p) {
			return true
		}
	}
	return false
}
