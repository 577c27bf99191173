"""The certificate PDF: Vietnamese text, a QR code that decodes to the verification
address, the credential embedded, and only its owner (or an administrator) gets it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.certification.test_exam import client_for, exam_world

__all__ = ["exam_world"]


@pytest.fixture
def credential(exam_world: Any) -> Any:
    from hocvu.credentials import services

    return services.issue_credential(exam_world.learner, exam_world.achievement)


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


@pytest.mark.django_db
def test_the_pdf_is_in_vietnamese_with_the_name_spelled_right(
    credential: Any, tmp_path: Path
) -> None:
    from hocvu.credentials.pdf import certificate_pdf, vietnamese_date

    path = tmp_path / "c.pdf"
    path.write_bytes(certificate_pdf(credential))
    text = pdf_text(path)
    assert "Đặng Thị Mai" in text  # the learner's name, diacritics intact
    assert "GIẤY CHỨNG NHẬN" in text
    assert "Chương trình Bình dân học vụ số – Quốc hội số".upper() in text
    assert credential.achievement.name in " ".join(text.split())
    assert "Đại biểu HĐND cấp xã" in text  # the role
    assert vietnamese_date(credential.issued_at) in text
    assert str(credential.pk) in text
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
    assert b"landscape" in info or b"842 x 595" in info or b"841.89 x 595.28" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout
    assert b"DejaVuSans" in fonts and b" yes " in fonts  # embedded


def test_vietnamese_dates() -> None:
    from datetime import datetime

    from hocvu.credentials.pdf import vietnamese_date

    assert vietnamese_date(datetime(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert vietnamese_date(datetime(2026, 11, 23)) == "ngày 23 tháng 11 năm 2026"


@pytest.mark.django_db
def test_the_qr_code_opens_the_verification_page(credential: Any, tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    from hocvu.credentials import services
    from hocvu.credentials.pdf import certificate_pdf

    path = tmp_path / "c.pdf"
    path.write_bytes(certificate_pdf(credential))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
    )
    image = Image.open(tmp_path / "page.png")
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [services.credential_url(credential)]
    assert str(credential.pk) in codes[0].text and "/verify/" in codes[0].text


@pytest.mark.django_db
def test_the_pdf_carries_the_credential(credential: Any, tmp_path: Path) -> None:
    from hocvu.credentials import services
    from hocvu.credentials.pdf import certificate_pdf

    data = certificate_pdf(credential)
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, check=True)
    assert (
        "credential.jwt" in listing.stdout.decode() and "credential.json" in listing.stdout.decode()
    )
    out = tmp_path / "files"
    out.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(path)], check=True)
    assert (out / "credential.jwt").read_text(encoding="ascii") == credential.jwt
    assert json.loads((out / "credential.json").read_text(encoding="utf-8")) == credential.document
    # The PDF alone verifies.
    assert services.verify(data).status == "valid"


@pytest.mark.django_db
def test_only_the_owner_and_administrators_get_the_pdf(exam_world: Any, credential: Any) -> None:
    url = reverse("credential-pdf", args=[credential.pk])
    owner = client_for(exam_world.learner).get(url)
    assert owner.status_code == 200 and owner["Content-Type"] == "application/pdf"
    assert owner.content.startswith(b"%PDF")
    assert client_for(exam_world.admin).get(url).status_code == 200
    for persona in ("learner_b", "manager_a", "province_manager", "author", "outsider"):
        assert client_for(getattr(exam_world, persona)).get(url).status_code == 404, persona
    from django.test import Client

    assert Client().get(url).status_code == 302  # to the login page
    missing = reverse("credential-pdf", args=["00000000-0000-4000-8000-000000000000"])
    assert client_for(exam_world.learner).get(missing).status_code == 404
