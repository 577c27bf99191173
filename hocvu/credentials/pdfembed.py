"""The credential carried inside a certificate PDF.

The certificate PDF embeds two files (PDF "EmbeddedFiles"): ``credential.jwt`` (the VC-JWT)
and ``credential.json`` (the JSON-LD credential with its Data Integrity proof).
"""

from __future__ import annotations

import io
import logging

JWT_NAME = "credential.jwt"
JSON_NAME = "credential.json"
MAX_PDF_BYTES = 20 * 1024 * 1024


class PdfError(ValueError):
    """The bytes are not a readable PDF carrying a credential."""


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def embedded_files(data: bytes) -> dict[str, bytes]:
    """Embedded files of a PDF by name (the first one of each name)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if len(data) > MAX_PDF_BYTES:
        raise PdfError("the PDF is too large")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        attachments = reader.attachments
        return {name: contents[0] for name, contents in attachments.items() if contents}
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PdfError(f"the PDF cannot be read: {exc}") from exc


def credential_parts(data: bytes) -> tuple[str | None, str | None]:
    """(VC-JWT, JSON-LD text) carried by a certificate PDF; either may be missing."""
    files = embedded_files(data)
    jwt = files.get(JWT_NAME)
    document = files.get(JSON_NAME)
    if jwt is None and document is None:
        raise PdfError(f"the PDF carries no {JWT_NAME} or {JSON_NAME}")
    try:
        return (
            jwt.decode("ascii").strip() if jwt is not None else None,
            document.decode("utf-8") if document is not None else None,
        )
    except UnicodeDecodeError as exc:
        raise PdfError("the embedded credential is not text") from exc
