// Package layers holds the test of the SDK's import graph: every package
// imports only packages of a lower layer (docs/architecture.md). It has no
// code of its own.
package layers
