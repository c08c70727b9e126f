"""The baseline of bench/message/compare.sh: the message `mss message build`
writes (multipart/mixed, a text body, the PDF attached in base64), built with
Python's standard email package, as a vendor without the SDK would.

usage: python3 bench/message/build_email.py FILE.pdf OUT.eml
"""

import email.policy
import email.utils
import os
import sys
from email.generator import BytesGenerator
from email.message import EmailMessage


def main(pdf_path, out_path):
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr(("Hôpital Test – DPI", "dpi@hopital-test.mssante.fr"))
    msg["To"] = "dr.durand@medecin-test.mssante.fr"
    msg["Subject"] = "Compte rendu"
    msg["Date"] = email.utils.formatdate(usegmt=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="hopital-test.mssante.fr")
    msg["X-MSS-NIL"] = "DEV000000"
    msg.set_content("Bonjour, veuillez trouver le compte rendu ci-joint.\n")
    with open(pdf_path, "rb") as f:
        pdf = f.read()
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=os.path.basename(pdf_path))
    with open(out_path, "wb") as out:
        BytesGenerator(out, policy=email.policy.SMTP).flatten(msg)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: build_email.py FILE.pdf OUT.eml")
    main(sys.argv[1], sys.argv[2])
