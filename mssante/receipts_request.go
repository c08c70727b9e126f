package mssante

import (
	"github.com/emersion/go-message/mail"
)

// RequestMDN asks for a disposition notification ("accusé de lecture",
// ECO.2.3.2): it sets Disposition-Notification-To to addr, normally the
// sender's MSSanté address.
func RequestMDN(h *mail.Header, addr string) error {
	a, err := parseAddr(addr)
	if err != nil {
		return err
	}
	h.SetAddressList(HeaderDispositionNotificationTo, []*mail.Address{{Address: a}})
	return nil
}

// RequestReturnReceipt sets the non-standard Return-Receipt-To header that
// Ségur REM MSS/va1.15 names for the delivery receipt request (ECO.2.3.1).
// Whether operators honour it is UNCONFIRMED: also pass a DSNRequest to the
// transport (DeliveryReceiptDSN).
func RequestReturnReceipt(h *mail.Header, addr string) error {
	a, err := parseAddr(addr)
	if err != nil {
		return err
	}
	h.SetAddressList(HeaderReturnReceiptTo, []*mail.Address{{Address: a}})
	return nil
}

// DeliveryReceiptDSN returns the RFC 3461 parameters of a delivery receipt
// request ("accusé de réception", ECO.2.3.1): NOTIFY=SUCCESS,FAILURE,DELAY,
// RET=HDRS (the DSN carries the headers, not the health documents again),
// ENVID=envelopeID when not empty, to correlate the DSN with the message, and
// ORCPT for every recipient, so that each DSN names the address as written.
func DeliveryReceiptDSN(envelopeID string) *DSNRequest {
	return &DSNRequest{
		Notify:            []string{"SUCCESS", "FAILURE", "DELAY"},
		Return:            "HDRS",
		EnvelopeID:        envelopeID,
		OriginalRecipient: true,
	}
}
