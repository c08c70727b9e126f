// Package cda is part of the MSSanté Go SDK (documentation in progress).
package cda
