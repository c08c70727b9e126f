package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
)

// WriteSendRequest writes the body of POST /v1/messages for a Go client:
// the metadata (a *SendRequest, or any value that marshals to its JSON) in
// the "metadata" part and the PDF in the "document" part, as
// multipart/form-data. It returns the Content-Type to send with it.
func WriteSendRequest(w io.Writer, metadata any, pdf []byte, filename string) (string, error) {
	js, err := json.Marshal(metadata)
	if err != nil {
		return "", err
	}
	mw := multipart.NewWriter(w)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="metadata"`)
	h.Set("Content-Type", "application/json")
	p, err := mw.CreatePart(h)
	if err == nil {
		_, err = p.Write(js)
	}
	if err != nil {
		return "", err
	}
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="document"; filename=%q`, filename))
	h.Set("Content-Type", "application/pdf")
	if p, err = mw.CreatePart(h); err == nil {
		_, err = p.Write(pdf)
	}
	if err != nil {
		return "", err
	}
	return mw.FormDataContentType(), mw.Close()
}
