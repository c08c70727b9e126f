// Package xdm is part of the MSSanté Go SDK (documentation in progress).
package xdm
