package annuaire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// TrustError refuses an address whose domain is not on the liste blanche.
// It matches ErrOutsideTrustSpace with errors.Is.
type TrustError struct {
	Address string
	Domain  string // lower-cased domain that was looked up
	Reason  string
}

func (e *TrustError) Error() string {
	return fmt.Sprintf("annuaire: %s refused, outside the MSSanté trust space: %s (%s)", e.Address, e.Domain, e.Reason)
}

// Unwrap returns ErrOutsideTrustSpace.
func (e *TrustError) Unwrap() error { return ErrOutsideTrustSpace }

// WhitelistSource gives the current liste blanche. *Whitelist (always
// itself) and *WhitelistRefresher (its last good copy) implement it.
type WhitelistSource interface {
	Current() *Whitelist
}

// Current returns w, so that a fixed *Whitelist is a WhitelistSource.
func (w *Whitelist) Current() *Whitelist { return w }

// RecipientChecker vets a recipient before anything is sent. It implements
// mssante.RecipientChecker (CheckRecipient(ctx, address) error). It checks
// the address as it goes on the wire, mailaddr.Normalize's form (the SMTP
// transport sends that form): nothing is trimmed or folded first.
//
//   - an address that is not a plain RFC 5321 mailbox (white space, '%' or
//     '!' routing, a domain that IDNA refuses...) is refused with an error
//     matching ErrInvalidAddress, mailaddr.ErrInvalid and
//     ErrOutsideTrustSpace;
//   - a domain outside the liste blanche is refused with a *TrustError,
//     which wraps ErrOutsideTrustSpace;
//   - an address that Directory does not know is accepted, and reported
//     through OnUnknown or Logger: a red-listed address is valid but never
//     published, so absence from the directory is no reason to refuse.
//
// Every refusal matches ErrOutsideTrustSpace, which is what a caller of
// mssante.Send tests for. Its zero value refuses everything (no liste
// blanche).
type RecipientChecker struct {
	// Whitelist gives the liste blanche; nil refuses every address.
	Whitelist WhitelistSource
	// Directory, if set, is asked about each accepted address.
	Directory Resolver
	// OnUnknown is called for an accepted address that Directory does not
	// know (err is ErrNotFound) or could not be asked about (other errors).
	OnUnknown func(ctx context.Context, address string, err error)
	// Logger, if set, receives a warning for the same cases. Only the
	// domain is logged unless LogAddresses is true (addresses of
	// patient.mssante.fr are patient data).
	Logger       *slog.Logger
	LogAddresses bool
}

// CheckRecipient implements mssante.RecipientChecker.
func (c *RecipientChecker) CheckRecipient(ctx context.Context, address string) error {
	var wl *Whitelist
	if c.Whitelist != nil {
		wl = c.Whitelist.Current()
	}
	address, err := wl.checkWire(address)
	if err != nil {
		if !errors.Is(err, ErrOutsideTrustSpace) {
			return fmt.Errorf("%w (%w)", err, ErrOutsideTrustSpace)
		}
		return err
	}
	if c.Directory == nil {
		return nil
	}
	if _, err := c.Directory.ResolveAddress(ctx, address); err != nil {
		if c.OnUnknown != nil {
			c.OnUnknown(ctx, address, err)
		}
		if c.Logger != nil {
			_, domain, _ := splitAddress(address)
			attrs := []any{slog.String("domain", domain), slog.String("error", logError(err, c.LogAddresses))}
			if c.LogAddresses {
				attrs = append(attrs, slog.String("address", address))
			}
			msg := "annuaire: recipient not in the directory (may be red-listed; sent anyway)"
			if !errors.Is(err, ErrNotFound) {
				msg = "annuaire: directory unavailable for a recipient (sent anyway)"
			}
			c.Logger.WarnContext(ctx, msg, attrs...)
		}
	}
	return nil
}

// logError describes a directory error for the log. The error texts of the
// FHIR client name the request URL, whose query holds the address, so
// unless addresses may be logged only the kind of failure is given.
func logError(err error, full bool) string {
	if full {
		return err.Error()
	}
	var fe *FHIRError
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrNotFound.Error()
	case errors.As(err, &fe):
		return fmt.Sprintf("FHIR server answered %d", fe.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "directory request: " + context.DeadlineExceeded.Error()
	case errors.Is(err, context.Canceled):
		return "directory request: " + context.Canceled.Error()
	}
	return fmt.Sprintf("directory unavailable (%T; details withheld unless LogAddresses)", err)
}
