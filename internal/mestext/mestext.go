package mestext

import "strings"

// The exact forms that end an exchange with a patient (msc.md §3): the
// header X-MSS-MES (mssante.HeaderMES) with the value ValueFIN, or a subject
// that is exactly SubjectFIN.
const (
	ValueFIN   = "FIN"
	SubjectFIN = "[FIN]"
)

// Closing reports which of the two forms a message uses, given the raw
// values of its X-MSS-MES header and of its subject: the header value "FIN"
// (spaces around it are ignored, as header parsers drop them) and the
// subject "[FIN]" byte for byte.
func Closing(mes, subject string) (byHeader, bySubject bool) {
	return strings.TrimSpace(mes) == ValueFIN, subject == SubjectFIN
}

// AddressPlaceholder marks where a bounce text quotes the recipient's address.
const AddressPlaceholder = "{adresse}"

// The three texts of a Mon Espace Santé bounce (msc.md §9), quoted from a
// training deck citing the CNAM guide ENS-V1.3 §6: not confirmed in a
// primary source.
const (
	// BounceUnknownAddress: no Mon Espace Santé for this patient.
	BounceUnknownAddress = `Le message que vous avez envoyé à l'adresse "` + AddressPlaceholder + `" n'a pas pu être distribué, car cette adresse Mon espace santé n'existe pas.`
	// BounceClosed: the patient's mailbox is closed.
	BounceClosed = `Le message que vous avez envoyé à l'adresse "` + AddressPlaceholder + `" n'a pas pu être distribué, car la messagerie Mon espace santé de votre destinataire est clôturée.`
	// BounceInvalidAddress: the address is not a valid matricule.
	BounceInvalidAddress = `Le message que vous avez envoyé à l'adresse "` + AddressPlaceholder + `" n'a pas pu être distribué, car cette adresse Mon espace santé est invalide.`
	// BounceSource is where the three texts come from.
	BounceSource = "msc.md §9 (ENS-V1.3 §6, DECK)"
)

// Render returns text with the placeholder replaced by addr.
func Render(text, addr string) string {
	return strings.ReplaceAll(text, AddressPlaceholder, addr)
}
