// Package cda reads, writes and validates CDA R2 documents with the French
// CI-SIS header ("Structuration minimale"), the documents that travel over
// MSSanté and feed the DMP.
package cda
