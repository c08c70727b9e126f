// Package serve is the HTTP service of "mss serve": the SDK as a small
// HTTP/JSON API on a durable outbox (package mssante/delivery), for DPI and
// DUI software that is not written in Go.
//
//	POST /v1/messages                 a PDF and its metadata → CDA level 1, IHE_XDM.ZIP, message; 202 or 422
//	POST /v1/messages/raw             a ready message (message/rfc822), linted and checked
//	GET  /v1/messages/{id}            each recipient's status and history
//	GET  /v1/messages                 the messages of the outbox
//	GET  /v1/events                   the history as Server-Sent Events, resumable with Last-Event-ID
//	GET  /v1/inbox                    received messages: patient INS, documents, XDS metadata, archive verdict
//	GET  /v1/inbox/{id}/documents/{n} a document (the CDA, a PDF); /raw the message as received
//	POST /v1/inbox/{id}/ack           filed; the MDN asked for (processed, error 90x) enqueued with the ack
//	POST /v1/ins/check, /v1/cda/validate, /v1/trust-space/check, GET /v1/directory
//	GET  /openapi.json                the contract (OpenAPI 3.0), without key
//
// Every request but GET /openapi.json carries the API key as a bearer token
// (RFC 6750), compared in constant time. Every error is an RFC 9457 problem
// (application/problem+json); a message or document that is not valid is a
// 422 whose findings are the SDK's levelled findings, and nothing is
// enqueued. A message is durable in the outbox before its 202: a retried
// POST with the same Idempotency-Key gets the first message back. Limits
// bound the body, the recipients and the requests served at once, each
// refusal a 4xx.
//
// A Server is an http.Handler routed with net/http's ServeMux patterns; it
// sends nothing itself: delivery.Outbox.Run does, here or in another
// process. Give Server.Notify to delivery.Options.OnEvent so that the event
// streams send each event at once, and Webhook's hooks to
// delivery.Options.Hooks for signed webhooks retried as River jobs.
//
// See docs/serve.md for the API, a curl session and the tests, and
// openapi.json beside this file for the contract.
package serve
