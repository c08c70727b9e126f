// Package limit is the one error every reader and writer of the SDK returns
// when its input goes beyond a limit: the size of a CDA header, the nesting
// depth of a MIME message, the entries of an IHE_XDM.ZIP archive, the size
// of a message sent to Mon Espace Santé, the work budget of a message...
//
// The limits protect the SDK from hostile or broken input (zip bombs, XML
// nested a million levels deep, a bounce carrying a 25 Mo original, an
// archive that lists one large document a thousand times) and keep a
// message within what its recipient accepts. Each package documents its
// limits and their defaults in its options; this package names them, so
// that a caller tells them apart with one errors.As:
//
//	var le *limit.Error
//	if errors.As(err, &le) && le.Limit == limit.MessageBudget { ... }
//
// and tests for any of them with errors.Is(err, limit.ErrExceeded).
//
// It also holds what enforces them while reading, never after: a Budget
// counts the bytes a unit of work (a message, an archive within it)
// decodes and inflates, and NewReader and ReadAll refuse an input past its
// size without holding more than the limit. The default budgets are its
// constants (DefaultMessageBudget, DefaultArchiveBudget, DefaultInputSize);
// docs/limits.md lists every limit of the SDK in one table.
package limit
