"""The certificate as a PDF: A4 landscape, in Vietnamese, carrying the credential.

Everything the page says comes from the signed credential, never from today's database:
the holder's name and date of birth as signed, the role, the achievement, the number of
competences aligned and their framework, the dates, the issuing authority. A learner
renamed after issue still gets the name that verifies. The page also says how to check
it: the certificate id, a QR code of the public verification address and the address of
the verification page that accepts the PDF itself. The signed credential is embedded as
two attached files, ``credential.jwt`` (the VC-JWT) and ``credential.json`` (the JSON-LD
with its Data Integrity proof), so the PDF alone is enough to verify the certificate
(``hocvu.credentials.services.verify``). A revoked certificate gets no PDF (the view
answers with a page saying so).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import segno
from django.utils import timezone
from fpdf import FPDF

from hocvu.content.pdf import FONTS
from hocvu.credentials.models import Credential
from hocvu.credentials.vc import BIRTH_DATE_IDENTITY, parse_datetime

# fontTools reports every table it subsets at INFO level: noise, and slow, per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)

JWT_NAME = "credential.jwt"
JSON_NAME = "credential.json"
PROGRAM_LINE = "Chương trình Bình dân học vụ số – Quốc hội số"

#: The characters a certificate can need: Latin with every Vietnamese letter and tone
#: mark (precomposed and combining), punctuation, the dong sign.
_RANGES = [(0x20, 0x7E), (0xA0, 0x17F), (0x1A0, 0x1B0), (0x300, 0x323), (0x1EA0, 0x1EF9)]
_RANGES += [(0x2010, 0x2026), (0x20AB, 0x20AC)]
_FACES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_font_lock = threading.Lock()
_font_paths: dict[str, Path] = {}

_NAVY = (22, 48, 94)
_GOLD = (176, 137, 46)
_GREY = (90, 90, 90)


def vietnamese_date(moment: datetime) -> str:
    """``ngày 05 tháng 3 năm 2026``, in the local time zone, as administrative documents
    write it (Decree 30/2020/NĐ-CP: a zero before days below 10 and months 1 and 2)."""
    day = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def credential_json(credential: Credential) -> bytes:
    """The stored JSON-LD credential, as the bytes the PDF carries."""
    return json.dumps(credential.document, ensure_ascii=False, indent=2).encode("utf-8")


def _font(style: str) -> Path:
    """The bundled DejaVu face cut down to the certificate's characters (Vietnamese
    Latin: about 500 of its 6,000 glyphs), made once per process. Parsing and subsetting
    the full fonts for every certificate took ~75 % of a PDF's time (280 -> 65 ms)."""
    with _font_lock:
        path = _font_paths.get(style)
        if path is not None and path.exists():
            return path
        from fontTools import subset

        source = FONTS / _FACES[style]
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / f"hocvu-fonts-{digest}-2"
        folder.mkdir(exist_ok=True)
        path = folder / _FACES[style]
        if not path.exists():
            options = subset.Options()
            options.layout_features = []  # the PDF places glyphs itself
            options.hinting = False  # no screen hinting in a PDF
            options.drop_tables += ["kern", "FFTM", "MATH"]
            options.notdef_outline = True
            font = subset.load_font(str(source), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=[c for lo, hi in _RANGES for c in range(lo, hi + 1)])
            subsetter.subset(font)
            partial = folder / f".{_FACES[style]}.{threading.get_ident()}.tmp"
            subset.save_font(font, str(partial), options)
            partial.replace(path)  # atomic: a concurrent process never reads half a file
        _font_paths[style] = path
        return path


def _qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Draw ``text`` as a QR code (vector squares, quiet zone included) of ``size`` mm."""
    qr = segno.make(text, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, "F")
            else:
                c += 1


def _signed_facts(document: dict[str, Any]) -> dict[str, Any]:
    """What the certificate shows, read from the signed credential only."""
    subject = document.get("credentialSubject")
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    identity = {
        str(i.get("identityType")): str(i.get("identityHash", ""))
        for i in subject.get("identifier") or []
        if isinstance(i, dict) and not i.get("hashed")
    }
    alignment = [a for a in achievement.get("alignment") or [] if isinstance(a, dict)]
    issuer = document.get("issuer")
    issuer = issuer if isinstance(issuer, dict) else {"id": str(issuer or "")}
    birth = identity.get(BIRTH_DATE_IDENTITY, "")
    try:
        birth = date.fromisoformat(birth).strftime("%d/%m/%Y") if birth else ""
    except ValueError:
        birth = ""
    return {
        "name": identity.get("name", ""),
        "birth": birth,
        "role": str(subject.get("role", "")),
        "achievement": str(achievement.get("name", "")),
        "description": str(achievement.get("description", "")),
        "n_aligned": len(alignment),
        "framework": str(alignment[0].get("targetFramework", "")) if alignment else "",
        "issued": parse_datetime(document.get("validFrom")),
        "until": parse_datetime(document.get("validUntil")),
        "issuer_name": str(issuer.get("name", "")),
        "issuer_url": str(issuer.get("url", "")),
    }


def certificate_pdf(credential: Credential, *, verify_url: str | None = None) -> bytes:
    """The certificate of ``credential`` as PDF bytes, from its signed document only."""
    from hocvu.credentials import services

    url = verify_url or services.credential_url(credential)
    facts = _signed_facts(credential.document)
    name = facts["name"]
    issued = facts["issued"] or credential.issued_at

    pdf = FPDF(orientation="landscape", format="A4")
    for style in _FACES:
        pdf.add_font("DejaVu", style, str(_font(style)))
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(f"Giấy chứng nhận – {name}")
    pdf.set_author(facts["issuer_name"] or PROGRAM_LINE)
    pdf.set_subject(facts["achievement"])
    pdf.set_lang("vi")
    pdf.set_creation_date(issued)
    pdf.add_page()
    width, height = pdf.w, pdf.h  # 297 x 210 mm

    # Frame.
    pdf.set_draw_color(*_NAVY)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, width - 20, height - 20)
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, width - 28, height - 28)

    def line(
        text: str, size: float, style: str = "", color: Any = (0, 0, 0), gap: float = 2
    ) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(*color)
        pdf.set_x(30)
        pdf.multi_cell(width - 60, size * 0.5, text, align="C")
        pdf.ln(gap)

    pdf.set_y(22)
    line(PROGRAM_LINE.upper(), 11, "B", _NAVY, 1)
    if facts["issuer_name"]:
        line(f"Cơ quan cấp: {facts['issuer_name']}", 9, "", _GREY, 6)
    line("GIẤY CHỨNG NHẬN", 30, "B", _NAVY, 5)
    line("Chứng nhận", 12, "I", _GREY, 2)
    line(name, 24, "B", (0, 0, 0), 2)
    if facts["birth"]:
        line(f"Ngày sinh: {facts['birth']}", 11, "", (0, 0, 0), 3)
    # What was shown (the standard met, through the exam), not what was done: someone who
    # tested out of every lesson has met the standard without "completing" a course.
    line("đã đạt", 12, "I", _GREY, 2)
    line(facts["achievement"], 15, "B", _NAVY, 3)
    if facts["role"]:
        line(f"Vị trí: {facts['role']}", 12, "", (0, 0, 0), 2)
    if facts["n_aligned"]:
        line(
            f"Qua bài thi chứng nhận, đạt mức yêu cầu ở cả {facts['n_aligned']} năng lực số"
            " của vị trí" + (f" – {facts['framework']}" if facts["framework"] else ""),
            10,
            "",
            _GREY,
            2,
        )
    line(f"Cấp {vietnamese_date(issued)}", 11, "", (0, 0, 0), 2)
    if facts["until"]:
        line(f"Có giá trị đến {vietnamese_date(facts['until'])}", 10, "", _GREY, 2)

    # Verification block: QR bottom right, id and address bottom left.
    size = 38
    qr_x, qr_y = width - 24 - size, height - 24 - size
    _qr(pdf, url, qr_x, qr_y, size)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*_GREY)
    pdf.set_xy(qr_x - 6, qr_y + size + 0.5)
    pdf.cell(size + 12, 4, "Quét mã để kiểm tra", align="C")
    verify_page = f"{services.public_url()}/verify/"
    pdf.set_xy(24, height - 44)
    pdf.set_font("DejaVu", "B", 9)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(0, 5, f"Mã chứng nhận: {credential.pk}")
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(*_GREY)
    for offset, text in (
        (39, f"Kiểm tra tính hợp lệ: quét mã QR hoặc mở {url}"),
        (34.5, f"hoặc tải tệp PDF này lên {verify_page} (không cần tài khoản)."),
        (
            30,
            "Tệp PDF này mang chứng nhận số đã ký (Open Badges 3.0): "
            "credential.jwt, credential.json",
        ),
    ):
        pdf.set_xy(24, height - offset)
        pdf.cell(0, 4.5, text)

    # The credential itself, attached.
    pdf.embed_file(
        bytes=credential.jwt.encode("ascii"),
        basename=JWT_NAME,
        modification_date=issued,
        mime_type="application/vc+jwt",
        desc="Verifiable Credential (VC-JWT)",
        compress=False,
    )
    pdf.embed_file(
        bytes=credential_json(credential),
        basename=JSON_NAME,
        modification_date=issued,
        mime_type="application/vc+ld+json",
        desc="Verifiable Credential (JSON-LD, Data Integrity proof)",
        compress=False,
    )
    return bytes(pdf.output())
