#!/usr/bin/env python3
"""Send a PDF to a correspondent through `mss serve`, then follow it.

Python's standard library only (urllib): what a DPI or DUI written in any
language does with the HTTP API of the MSSanté Go SDK (docs/serve.md):

  1. POST /v1/messages with the PDF and its metadata (sender, recipient,
     patient with INS, document type, author...): the service builds the
     CDA R2 level 1 document, the IHE_XDM.ZIP archive and the message, lints
     it, checks the recipient against the trust space and enqueues it. An
     Idempotency-Key makes a retried POST safe: the first message comes back.
  2. GET /v1/messages/{id} until every recipient has a final status
     (delivered by the operator, then "processed" by the correspondent's
     software, as its MDN says), printing each change.

Run `mss serve` first (see docs/serve.md), then:

  MSS_URL=http://127.0.0.1:8480 MSS_API_KEY=... \\
    python3 examples/http/send_document.py --from resultats@labo-test.mssante.fr \\
      --to dpi@hopital-test.mssante.fr --pdf compte-rendu.pdf

Exit status: 0 when every recipient ends processed or read, 1 when the
service refused the message (the findings are printed) or a recipient
failed, 2 on a usage or connection error or a timeout.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class Problem(Exception):
    """An RFC 9457 problem answered by the service."""

    def __init__(self, status, body):
        self.status = status
        try:
            self.problem = json.loads(body)
        except ValueError:
            self.problem = {"title": body.decode("utf-8", "replace")}
        super().__init__("%d %s: %s" % (status, self.problem.get("title", ""), self.problem.get("detail", "")))


class Client:
    def __init__(self, base, key):
        self.base = base.rstrip("/")
        self.key = key

    def request(self, method, path, body=None, content_type=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method)
        req.add_header("Authorization", "Bearer " + self.key)
        req.add_header("Accept", "application/json")
        if content_type:
            req.add_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise Problem(e.code, e.read()) from None

    def send(self, metadata, pdf, filename, key):
        """POST /v1/messages: multipart/form-data with the metadata (JSON) and the PDF."""
        boundary = "----mss-" + uuid.uuid4().hex
        parts = [
            b"--" + boundary.encode(),
            b'Content-Disposition: form-data; name="metadata"',
            b"Content-Type: application/json",
            b"",
            json.dumps(metadata).encode("utf-8"),
            b"--" + boundary.encode(),
            ('Content-Disposition: form-data; name="document"; filename="%s"' % filename).encode("utf-8"),
            b"Content-Type: application/pdf",
            b"",
            pdf,
            b"--" + boundary.encode() + b"--",
            b"",
        ]
        body = b"\r\n".join(parts)
        # The same key on every try: a POST retried after a lost answer
        # gets the first message back instead of sending it twice.
        for attempt in range(3):
            try:
                return self.request("POST", "/v1/messages", body, "multipart/form-data; boundary=" + boundary,
                                    {"Idempotency-Key": key})
            except urllib.error.URLError as e:
                if attempt == 2:
                    raise
                print("connection failed (%s), trying again with the same Idempotency-Key" % e.reason, file=sys.stderr)
                time.sleep(1)

    def status(self, message_id):
        return self.request("GET", "/v1/messages/" + urllib.parse.quote(message_id, safe="@"))[1]


def metadata(args):
    """The metadata of a laboratory report for the public ANS test patient."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "sender": {"address": args.sender, "type": "APP", "entity": args.entity, "nil": args.nil},
        "to": args.to,
        "text": "Bonjour,\n\nVeuillez trouver ci-joint le compte rendu d'examens biologiques.\n\n" + args.entity,
        "read_receipt": True,
        "patient": {
            # The public test identity of the ANS (INS 279035121518989) under
            # the test NIR authority; a real product sends the qualified
            # identity of its patient record (status QUAL, traits from INSi).
            "ins": "279035121518989", "oid": "1.2.250.1.213.1.4.10", "status": "QUAL",
            "birth_name": "PAT-TROIS", "birth_given_names": "DOMINIQUE MARIE-LOUISE",
            "birth_date": "1979-03-28", "sex": "F", "birth_place": "51215",
        },
        "document": {
            "type": {"code": "11502-2", "code_system": "2.16.840.1.113883.6.1", "display_name": "CR d'examens biologiques"},
            "title": "Compte rendu d'examens biologiques",
            "service_start": now,
            "practice_setting": {"code": "ETABLISSEMENT", "code_system": "1.2.250.1.213.1.1.4.9"},
            "facility_type": {"code": "SA01", "code_system": "1.2.250.1.71.4.2.4", "display_name": "Etablissement public de santé"},
            "author": {"rpps": args.rpps, "civility": "MME", "title": "DR", "given": "Marie", "family": "MARTIN",
                       "specialty": {"code": "G15_10/SM26", "code_system": "1.2.250.1.213.1.1.4.5"}},
            "organization": {"finess": args.finess, "name": args.entity},
        },
    }


FINAL_OK = {"processed", "read"}


def main():
    p = argparse.ArgumentParser(description="Send a PDF through mss serve and follow it until its receipts came back.")
    p.add_argument("--from", dest="sender", required=True, help="sending mailbox (one of the service's configuration)")
    p.add_argument("--to", action="append", required=True, help="recipient (repeat for several)")
    p.add_argument("--pdf", required=True, help="the PDF/A-1 document to send")
    p.add_argument("--entity", default="Laboratoire Test", help="the sending structure's name")
    p.add_argument("--nil", default="DEV000000", help="X-MSS-NIL product reference")
    p.add_argument("--rpps", default="10001234565", help="the author's RPPS (fictitious by default)")
    p.add_argument("--finess", default="750000002", help="the structure's FINESS (fictitious by default)")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for the receipts")
    args = p.parse_args()

    base = os.environ.get("MSS_URL", "http://127.0.0.1:8480")
    key = os.environ.get("MSS_API_KEY")
    if not key:
        print("MSS_API_KEY is not set", file=sys.stderr)
        return 2
    client = Client(base, key)
    with open(args.pdf, "rb") as f:
        pdf = f.read()

    try:
        status, accepted = client.send(metadata(args), pdf, os.path.basename(args.pdf), str(uuid.uuid4()))
    except Problem as e:
        print("refused: %s" % e, file=sys.stderr)
        for finding in e.problem.get("findings", []):
            print("  %s %s at %s: %s" % (finding["level"], finding["rule"], finding.get("location", ""), finding["message"]),
                  file=sys.stderr)
        return 1 if e.status == 422 else 2
    except urllib.error.URLError as e:
        print("cannot reach %s: %s" % (base, e.reason), file=sys.stderr)
        return 2
    message_id = accepted["id"]
    print("accepted %s (HTTP %d): %s" % (message_id, status, ", ".join(r["address"] for r in accepted["recipients"])))

    seen = {}
    deadline = time.time() + args.timeout
    while True:
        msg = client.status(message_id)
        for r in msg["recipients"]:
            if seen.get(r["address"]) != r["status"]:
                seen[r["address"]] = r["status"]
                print("%s: %s%s" % (r["address"], r["status"], " (final)" if r["final"] else ""))
        if msg["final"]:
            break
        if time.time() > deadline:
            print("timeout: not every recipient is final after %.0f s" % args.timeout, file=sys.stderr)
            return 2
        time.sleep(0.5)
    ok = all(r["status"] in FINAL_OK for r in msg["recipients"])
    print("done: %s" % ("every recipient processed the document" if ok else "a recipient did not process it"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
