package check

import (
	"errors"
	"mime"
	"net/mail"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

var (
	once     sync.Once
	instance *validator.Validate
)

// validate returns the shared validator, built once: it is safe for
// concurrent use and caches the struct metadata.
func validate() *validator.Validate {
	once.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		for tag, fn := range map[string]func(string) bool{
			"cog": COG, "nocrlf": NoCRLF, "addrspec": AddrSpec, "msgid": MsgID, "mediatype": MediaType,
		} {
			_ = v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return fn(fl.Field().String()) })
		}
		_ = v.RegisterValidation("mailaddr", func(fl validator.FieldLevel) bool {
			f := fl.Field() // a mail.Address of net/mail or go-message: Name, Address
			if f.Kind() != reflect.Struct {
				return false
			}
			addr, name := f.FieldByName("Address"), f.FieldByName("Name")
			return addr.Kind() == reflect.String && name.Kind() == reflect.String &&
				AddrSpec(addr.String()) && NoCRLF(name.String())
		})
		instance = v
	})
	return instance
}

// FieldError is one broken rule: the field (its Go name, and its path from
// the validated struct, e.g. "Message.Attachments[0].Filename"), the tag
// that failed and its parameter.
type FieldError struct {
	Field string
	Path  string
	Tag   string
	Param string
	Value any // the value that broke the rule
}

// Struct validates v, a struct or a pointer to one, and returns the broken
// rules in field order (nil when there is none).
func Struct(v any) []FieldError {
	err := validate().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		// An invalid argument (nil, not a struct): a bug of the caller.
		return []FieldError{{Field: reflect.TypeOf(v).String(), Tag: "invalid"}}
	}
	out := make([]FieldError, len(verrs))
	for i, fe := range verrs {
		out[i] = FieldError{Field: fe.StructField(), Path: fe.StructNamespace(), Tag: fe.Tag(), Param: fe.Param(), Value: fe.Value()}
	}
	return out
}

// COG reports whether s is a 5-character INSEE COG code: digits, or 2A/2B
// followed by 3 digits.
func COG(s string) bool {
	if len(s) != 5 {
		return false
	}
	for i := 0; i < 5; i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			continue
		}
		if i == 1 && s[0] == '2' && (c == 'A' || c == 'B') {
			continue
		}
		return false
	}
	return true
}

// Digits reports whether s is a non-empty string of ASCII digits.
func Digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NoCRLF reports whether s can be written in a header field: no CR, LF or
// NUL, which would inject header lines.
func NoCRLF(s string) bool { return !strings.ContainsAny(s, "\r\n\x00") }

// AddrSpec reports whether s is an RFC 5322 address.
func AddrSpec(s string) bool {
	_, err := mail.ParseAddress(s)
	return err == nil
}

// MsgID reports whether s is an RFC 5322 msg-id (id-left@id-right, printable
// ASCII without spaces), with or without angle brackets.
func MsgID(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// MediaType reports whether s is a media type mime.ParseMediaType reads.
func MediaType(s string) bool {
	_, _, err := mime.ParseMediaType(s)
	return err == nil
}
