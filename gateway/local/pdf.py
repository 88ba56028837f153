"""A minimal, valid PDF writer for the local SageMaker's stand-in reports.

Autopilot's reports are PDFs made from charts and tables; the local SageMaker only needs a file
that every PDF reader opens (one page of text, a correct cross-reference table), so downloading
a report through a presigned URL can be checked end to end without a PDF library.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

_TITLE_SIZE = 16
_TEXT_SIZE = 10
_LINE_GAP = 14
_TOP = 760
_LEFT = 72


def _literal(text: str) -> bytes:
    """``text`` as a PDF literal string in WinAnsi (Latin-1 here), with (, ) and \\ escaped."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1", "replace") + b")"


def _date(moment: datetime) -> bytes:
    return _literal(moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ"))


def minimal_pdf(title: str, lines: Sequence[str], *, created: datetime) -> bytes:
    """A one-page US Letter PDF 1.4 with ``title`` and ``lines`` in Helvetica."""
    content = [b"BT", b"/F1 %d Tf" % _TITLE_SIZE, b"%d %d Td" % (_LEFT, _TOP)]
    content += [_literal(title) + b" Tj", b"/F1 %d Tf" % _TEXT_SIZE, b"0 -28 Td"]
    for line in lines:
        content += [_literal(line) + b" Tj", b"0 -%d Td" % _LINE_GAP]
    content.append(b"ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Title %s /Producer (local SageMaker) /CreationDate %s >>"
        % (_literal(title), _date(created)),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
