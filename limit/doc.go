// Package limit is the one error every reader and writer of the SDK returns
// when its input goes beyond a limit: the size of a CDA header, the nesting
// depth of a MIME message, the entries of an IHE_XDM.ZIP archive, the size
// of a message sent to Mon Espace Santé...
//
// The limits protect the SDK from hostile or broken input (zip bombs, XML
// nested a million levels deep, a bounce carrying a 25 Mo original) and keep
// a message within what its recipient accepts. Each package documents its
// limits and their defaults in its options; this package only names them,
// so that a caller tells them apart with one errors.As:
//
//	var le *limit.Error
//	if errors.As(err, &le) && le.Limit == limit.Depth { ... }
//
// and tests for any of them with errors.Is(err, limit.ErrExceeded).
package limit
