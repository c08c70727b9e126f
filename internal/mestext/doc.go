// Package mestext holds the fixed texts of Mon Espace Santé that two sides
// of the SDK share: package msc reads them (closing an exchange, telling a
// bounce's cause) and the test operator mssante/mssantetest writes them
// (simulating Mon Espace Santé). They live here, below both, so that the test
// operator never imports msc and the two can never drift apart. msc is the
// public home of these rules (msc.Closing, msc.BounceTexts); this package
// has no API of its own.
package mestext
