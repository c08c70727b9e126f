"""Checks a message written by either side of bench/message/compare.sh: a
multipart/mixed message whose application/pdf part decodes to the PDF.

usage: python3 bench/message/check_eml.py MESSAGE.eml FILE.pdf
"""

import sys
from email import policy
from email.parser import BytesParser


def main(eml_path, pdf_path):
    with open(eml_path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    with open(pdf_path, "rb") as f:
        pdf = f.read()
    if msg.get_content_type() != "multipart/mixed":
        sys.exit(f"{eml_path}: {msg.get_content_type()}, want multipart/mixed")
    parts = [p for p in msg.iter_parts() if p.get_content_type() == "application/pdf"]
    texts = [p for p in msg.iter_parts() if p.get_content_type() == "text/plain"]
    if len(parts) != 1 or len(texts) != 1:
        sys.exit(f"{eml_path}: {len(texts)} text and {len(parts)} PDF parts, want one of each")
    if parts[0].get_payload(decode=True) != pdf:
        sys.exit(f"{eml_path}: the attached PDF is not {pdf_path}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
