// Package check holds the SDK's one validator (github.com/go-playground/
// validator/v10) and the tags it adds, so that the public input structs
// (ins.Traits, mssante.Sender, mssante.Message, mssante.Attachment,
// tlsauth.EndpointOptions and TLSOptions) state their rules declaratively in
// struct tags. Each package translates the field errors into its own typed
// errors (ins.TraitsError, mssante.ErrNoSender, ErrAddress, ErrHeader,
// tlsauth.ErrNoRootCAs...).
//
// Tags added to the validator's own (required, oneof, len...):
//
//	cog        an INSEE COG code: 5 characters, digits or 2A/2B then 3 digits
//	nocrlf     a value safe in a header: no CR, LF or NUL
//	addrspec   an RFC 5322 address (net/mail)
//	msgid      an RFC 5322 msg-id, with or without angle brackets
//	mediatype  a media type that mime.ParseMediaType reads
//	mailaddr   a mail.Address (net/mail or go-message) whose address parses
//	           and whose display name is header-safe
package check
