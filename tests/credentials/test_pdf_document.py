"""The certificate document: rendered from the signed credential only, it names the issuing
authority, tells two people with the same name apart (date of birth, signed), says how to
verify it; once revoked, the learner sees "revoked" with the reason and date and no PDF is
offered or served."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.certification.test_exam import client_for, exam_world

__all__ = ["exam_world"]

BIRTH = date(1975, 4, 30)


def _text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return " ".join(done.stdout.decode("utf-8").split())


@pytest.fixture
def credential(exam_world: Any) -> Any:
    from hocvu.credentials import services
    from hocvu.identity.services import update_person

    update_person(exam_world.learner, {"date_of_birth": BIRTH}, actor=exam_world.admin)
    return services.issue_credential(exam_world.learner, exam_world.achievement)


@pytest.mark.django_db
def test_the_date_of_birth_and_role_are_signed_in_the_credential(credential: Any) -> None:
    from hocvu.credentials import services

    subject = credential.document["credentialSubject"]
    identifiers = {i["identityType"]: i for i in subject["identifier"]}
    assert identifiers["ext:dateOfBirth"] == {
        "type": "IdentityObject",
        "identityType": "ext:dateOfBirth",
        "hashed": False,
        "identityHash": "1975-04-30",
    }
    assert subject["role"] == credential.achievement.role_profile.title
    # No national ID number, phone or e-mail goes into the credential.
    assert set(identifiers) == {"name", "ext:dateOfBirth"}
    # Signed like the rest: changing it is tampering.
    doc = {**credential.document}
    doc["credentialSubject"] = {
        **subject,
        "identifier": [
            identifiers["name"],
            {**identifiers["ext:dateOfBirth"], "identityHash": "1980-01-01"},
        ],
    }
    assert services.verify(doc).status == "tampered"
    assert services.verify(credential.document).status == "valid"


@pytest.mark.django_db
def test_the_pdf_shows_what_was_signed_not_the_current_profile(
    exam_world: Any, credential: Any, tmp_path: Path
) -> None:
    from hocvu.credentials import services
    from hocvu.credentials.pdf import certificate_pdf, vietnamese_date
    from hocvu.identity.services import update_person

    signed_name = credential.document["credentialSubject"]["identifier"][0]["identityHash"]
    # A manager renames the learner and changes the date of birth after issue.
    update_person(
        exam_world.learner,
        {"full_name": "Nguyễn Văn Đổi Tên", "date_of_birth": date(1990, 1, 1)},
        actor=exam_world.admin,
    )
    credential.refresh_from_db()
    credential.learner.refresh_from_db()
    assert credential.learner.full_name == "Nguyễn Văn Đổi Tên"
    data = client_for(exam_world.learner).get(reverse("credential-pdf", args=[credential.pk]))
    assert data.status_code == 200
    text = _text(data.content, tmp_path)
    assert signed_name in text and "Đổi Tên" not in text
    assert "Ngày sinh: 30/04/1975" in text and "01/01/1990" not in text
    assert credential.document["credentialSubject"]["role"] in text
    assert credential.document["credentialSubject"]["achievement"]["name"] in text
    assert vietnamese_date(credential.issued_at) in text
    # It says what was shown (the standard met through the exam), not "completed the course".
    assert "hoàn thành" not in text and "đã đạt" in text
    assert "Qua bài thi chứng nhận, đạt mức yêu cầu" in text
    # The issuing authority, and how to verify, on the face of the document.
    assert f"Cơ quan cấp: {credential.document['issuer']['name']}" in text
    assert services.credential_url(credential) in text
    assert f"{services.public_url()}/verify/" in text and "quét mã QR" in text
    assert str(credential.pk) in text
    # And the PDF still verifies, with the signed name.
    result = services.verify(certificate_pdf(credential))
    assert result.status == "valid" and result.subject_name == signed_name


@pytest.mark.django_db
def test_after_revocation_the_learner_sees_revoked_and_gets_no_pdf(
    exam_world: Any, credential: Any
) -> None:
    from hocvu.credentials import services
    from tests.certification.test_rules import passed_exam

    attempt = passed_exam(exam_world.learner, exam_world.achievement)
    learner = client_for(exam_world.learner)
    pdf_url = reverse("credential-pdf", args=[credential.pk])
    home = learner.get(reverse("exam-home")).content.decode()
    assert pdf_url in home
    services.revoke_credential(credential, reason="Gian lận trong bài thi", actor=exam_world.admin)
    credential.refresh_from_db()
    revoked_on = f"{timezone.localtime(credential.revoked_at):%d/%m/%Y}"
    for url in (reverse("exam-home"), reverse("exam-result", args=[attempt.pk])):
        page = learner.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert 'data-status="revoked"' in html, url
        assert "Gian lận trong bài thi" in html
        assert revoked_on in html
        assert pdf_url not in html, url  # the link is gone
        assert "being issued" not in html and "đang được cấp" not in html
    # A direct request gets a clear page, not a document that looks valid.
    for persona in ("learner", "admin"):
        response = client_for(getattr(exam_world, persona)).get(pdf_url)
        assert response.status_code == 410, persona
        assert response["Content-Type"].startswith("text/html")
        assert not response.content.startswith(b"%PDF")
        assert "Gian lận trong bài thi" in response.content.decode()
    # Still nobody else's business.
    for persona in ("learner_b", "manager_b", "outsider"):
        assert client_for(getattr(exam_world, persona)).get(pdf_url).status_code == 404, persona
