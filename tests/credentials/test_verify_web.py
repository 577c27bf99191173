"""Public verification (page and JSON API), the status list and DID document endpoints, and
revocation by administrators in the admin.

Every answer to bad input is a clear 4xx or an "invalid" verdict: never a server error.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World

services = pytest.importorskip("hocvu.credentials.services")


@pytest.fixture
def achievement(world: World) -> Any:
    from hocvu.credentials.setup import install_achievements

    return next(
        a
        for a in install_achievements(world.module.program)
        if a.role_profile.code == "commune_council"
    )


@pytest.fixture
def credential(world: World, achievement: Any) -> Any:
    return services.issue_credential(world.learner, achievement)


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # login throttling (axes) needs a request
    return client


def page_status(response: Any) -> str:
    body: str = response.content.decode()
    marker = 'data-status="'
    assert marker in body, body[:500]
    return body.split(marker, 1)[1].split('"', 1)[0]


def api_post(client: Client, payload: Any) -> Any:
    return client.post(
        reverse("api:verify_posted"), data=json.dumps(payload), content_type="application/json"
    )


# -- the page the QR code opens ---------------------------------------------------------


@pytest.mark.django_db
def test_the_qr_page_says_valid_with_what_the_certificate_shows(
    world: World, credential: Any
) -> None:
    response = Client().get(reverse("verify-credential", kwargs={"credential_id": credential.pk}))
    assert response.status_code == 200
    assert page_status(response) == "valid"
    body = response.content.decode()
    assert "Đặng Thị Mai" in body
    assert credential.achievement.name in body
    assert timezone.localtime(credential.issued_at).strftime("%d/%m/%Y") in body
    # Nothing personal beyond the certificate: no unit, no username, no ID number.
    for private in (world.commune_a.name, world.learner.username, "001190000001"):
        assert private not in body
    assert response["Cache-Control"] == "no-cache"


@pytest.mark.django_db
def test_the_qr_page_says_revoked_once_revoked(world: World, credential: Any) -> None:
    url = reverse("verify-credential", kwargs={"credential_id": credential.pk})
    services.revoke_credential(credential, reason="Cấp nhầm", actor=world.admin)
    response = Client().get(url)
    assert response.status_code == 200
    assert page_status(response) == "revoked"
    assert "Cấp nhầm" not in response.content.decode()  # the internal reason stays internal


@pytest.mark.django_db
def test_an_unknown_certificate_number_is_not_found(world: World) -> None:
    response = Client().get(reverse("verify-credential", kwargs={"credential_id": uuid.uuid4()}))
    assert response.status_code == 404
    assert page_status(response) == "not_found"


@pytest.mark.django_db
def test_an_expired_certificate_says_expired(world: World, achievement: Any) -> None:
    past = timezone.now() - timedelta(days=400)
    old = services.issue_credential(
        world.learner_b, achievement, issued_at=past, valid_until=past + timedelta(days=30)
    )
    response = Client().get(reverse("verify-credential", kwargs={"credential_id": old.pk}))
    assert page_status(response) == "expired"


# -- the form: number, link, pasted credential, PDF ----------------------------------------


@pytest.mark.django_db
def test_the_form_takes_a_number_or_a_scanned_link(world: World, credential: Any) -> None:
    client = Client()
    assert client.get(reverse("verify")).status_code == 200
    target = reverse("verify-credential", kwargs={"credential_id": credential.pk})
    for text in (str(credential.pk), services.credential_url(credential), f"  {credential.pk} "):
        response = client.post(reverse("verify"), {"certificate": text})
        assert response.status_code == 302 and response["Location"] == target, text


@pytest.mark.django_db
def test_the_form_verifies_a_pasted_credential(world: World, credential: Any) -> None:
    client = Client()
    pasted = client.post(reverse("verify"), {"certificate": json.dumps(credential.document)})
    assert page_status(pasted) == "valid"
    jwt = client.post(reverse("verify"), {"certificate": credential.jwt})
    assert page_status(jwt) == "valid"
    forged = copy.deepcopy(credential.document)
    forged["credentialSubject"]["identifier"][0]["identityHash"] = "Người Khác"
    tampered = client.post(reverse("verify"), {"certificate": json.dumps(forged)})
    assert page_status(tampered) == "tampered"


@pytest.mark.django_db
def test_the_form_verifies_an_uploaded_pdf(world: World, credential: Any) -> None:
    from hocvu.credentials.pdf import certificate_pdf

    pdf = SimpleUploadedFile("chung-nhan.pdf", certificate_pdf(credential), "application/pdf")
    response = Client().post(reverse("verify"), {"file": pdf})
    assert response.status_code == 200
    assert page_status(response) == "valid"
    assert "Đặng Thị Mai" in response.content.decode()


@pytest.mark.django_db
def test_a_certificate_signed_by_another_key_is_unknown_issuer(
    world: World, credential: Any
) -> None:
    from hocvu.credentials import keys, vc

    stranger = keys.generate()
    document = {k: v for k, v in credential.document.items() if k != "proof"}
    method = "did:web:gia-mao.example#k1"
    document["issuer"] = {**document["issuer"], "id": "did:web:gia-mao.example"}
    forged_jwt = vc.sign_jwt(document, stranger, method)
    forged_doc = vc.add_di_proof(document, stranger, method, timezone.now())
    client = Client()
    assert page_status(client.post(reverse("verify"), {"certificate": forged_jwt})) == (
        "unknown_issuer"
    )
    answer = api_post(client, {"credential": forged_doc}).json()
    assert answer["status"] == "unknown_issuer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "xin chào",
        "a.b.c",
        "eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.AAAA",
        "{not json",
        '{"@context": 5}',
        "[1, 2]",
        "/verify/zzzz/",
        "\u0000\ufeff",
        "x" * 5000,
    ],
)
def test_the_form_never_fails_on_garbage(world: World, text: str) -> None:
    response = Client().post(reverse("verify"), {"certificate": text})
    assert response.status_code in {200, 302, 400, 404}
    if response.status_code == 200:
        assert page_status(response) in {"invalid", "tampered", "not_found", "unknown_issuer"}


@pytest.mark.django_db
def test_the_form_refuses_empty_input_and_files_that_are_not_pdfs(
    world: World, monkeypatch: Any
) -> None:
    client = Client()
    empty = client.post(reverse("verify"), {"certificate": "  "})
    assert empty.status_code == 400 and "errorlist" in empty.content.decode()
    text = SimpleUploadedFile("a.pdf", b"GIF89a not a pdf", "application/pdf")
    not_pdf = client.post(reverse("verify"), {"file": text})
    assert not_pdf.status_code == 400 and "errorlist" in not_pdf.content.decode()
    from hocvu.credentials import views

    monkeypatch.setattr(views, "MAX_PDF_BYTES", 100)
    big = SimpleUploadedFile("b.pdf", b"%PDF-1.7\n" + b"0" * 500, "application/pdf")
    too_big = client.post(reverse("verify"), {"file": big})
    assert too_big.status_code == 400
    broken = SimpleUploadedFile("c.pdf", b"%PDF-1.7\n%%EOF garbage", "application/pdf")
    answer = client.post(reverse("verify"), {"file": broken})
    assert answer.status_code == 200 and page_status(answer) == "invalid"


# -- the JSON API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_verifies_by_id_credential_jwt_and_pdf(world: World, credential: Any) -> None:
    from hocvu.credentials.pdf import certificate_pdf

    client = Client()
    by_id = client.get(reverse("api:verify_by_id"), {"id": str(credential.pk)})
    assert by_id.status_code == 200
    answer = by_id.json()
    assert answer["status"] == "valid"
    assert answer["credential_id"] == str(credential.pk)
    assert answer["subject_name"] == "Đặng Thị Mai"
    assert answer["achievement_name"] == credential.achievement.name
    assert answer["issuer"] == services.issuer_did()
    assert answer["key_id"] and answer["issued_at"] and answer["reason"]
    assert set(answer) == {
        "status",
        "reason",
        "credential_id",
        "subject_name",
        "achievement_name",
        "issued_at",
        "issuer",
        "key_id",
    }
    assert api_post(client, {"credential": credential.document}).json()["status"] == "valid"
    assert api_post(client, {"credential": credential.jwt}).json()["status"] == "valid"
    pdf = SimpleUploadedFile("c.pdf", certificate_pdf(credential), "application/pdf")
    posted = client.post(reverse("api:verify_posted"), {"file": pdf})
    assert posted.status_code == 200 and posted.json()["status"] == "valid"

    services.revoke_credential(credential, reason="Sai thông tin")
    assert client.get(reverse("api:verify_by_id"), {"id": str(credential.pk)}).json()["status"] == (
        "revoked"
    )
    assert api_post(client, {"credential": credential.jwt}).json()["status"] == "revoked"


@pytest.mark.django_db
def test_the_api_reports_tampering_and_unknown_ids(world: World, credential: Any) -> None:
    client = Client()
    forged = copy.deepcopy(credential.document)
    forged["credentialSubject"]["achievement"]["name"] = "Chuyên gia an ninh mạng"
    assert api_post(client, {"credential": forged}).json()["status"] == "tampered"
    header, payload, signature = credential.jwt.split(".")
    flipped = header + "." + payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert api_post(client, {"credential": f"{flipped}.{signature}"}).json()["status"] in {
        "tampered",
        "invalid",
    }
    missing = client.get(reverse("api:verify_by_id"), {"id": str(uuid.uuid4())})
    assert missing.status_code == 200 and missing.json()["status"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("json", {}),
        ("json", {"credential": 5}),
        ("json", {"credential": ""}),
        ("json", {"credential": None}),
        ("json", [1, 2]),
        ("raw", b"{not json"),
        ("raw", b"\xff\xfe\x00"),
        ("multipart", {"other": "x"}),
        ("multipart", {"file": SimpleUploadedFile("x.pdf", b"plain text", "application/pdf")}),
    ],
)
def test_the_api_answers_400_to_malformed_requests(world: World, kind: str, body: Any) -> None:
    client = Client()
    url = reverse("api:verify_posted")
    if kind == "json":
        response = client.post(url, data=json.dumps(body), content_type="application/json")
    elif kind == "raw":
        response = client.post(url, data=body, content_type="application/json")
    else:
        response = client.post(url, body)
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] in {"bad_request", "not_pdf", "too_large"} and problem["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "abc", "12345", "x" * 200, "../../etc/passwd"])
def test_the_api_answers_400_to_a_bad_id(world: World, value: str) -> None:
    response = Client().get(reverse("api:verify_by_id"), {"id": value})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["xin chào", "a.b.c", "{}", '{"@context": []}', "null"])
def test_the_api_answers_invalid_to_what_is_not_a_credential(world: World, text: str) -> None:
    response = api_post(Client(), {"credential": text})
    assert response.status_code == 200
    assert response.json()["status"] in {"invalid", "tampered", "not_found"}


# -- status list and DID document ----------------------------------------------------------


@pytest.mark.django_db
def test_the_status_list_is_signed_cached_a_minute_and_shows_revocations(
    world: World, credential: Any
) -> None:
    url = reverse("status-list", kwargs={"list_id": credential.status_list_id})
    assert credential.document["credentialStatus"]["statusListCredential"].endswith(url)
    client = Client()
    before = client.get(url)
    assert before.status_code == 200
    assert before["Cache-Control"] == "public, max-age=60"
    assert before["Content-Type"].startswith("application/json")
    assert before["Access-Control-Allow-Origin"] == "*"
    document = before.json()
    assert "BitstringStatusListCredential" in document["type"]
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    services.revoke_credential(credential, reason="Thu hồi thử")
    after = client.get(url).json()
    assert after["credentialSubject"]["encodedList"] != document["credentialSubject"]["encodedList"]
    vc_typed = client.get(url, HTTP_ACCEPT="application/vc")
    assert vc_typed["Content-Type"].startswith("application/vc")
    assert client.get(reverse("status-list", kwargs={"list_id": 999999})).status_code == 404


@pytest.mark.django_db
def test_the_did_document_lists_every_key_after_rotation(world: World, credential: Any) -> None:
    client = Client()
    response = client.get(reverse("did-document"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/did+ld+json")
    assert response["Cache-Control"] == "public, max-age=300"
    document = response.json()
    assert document["id"] == services.issuer_did()
    first = f"{document['id']}#{credential.key.key_id}"
    assert first in document["assertionMethod"]
    assert "private" not in response.content.decode().lower()
    services.rotate_key()
    rotated = client.get(reverse("did-document")).json()
    assert len(rotated["verificationMethod"]) == 2 and first in rotated["assertionMethod"]
    plain = client.get(reverse("did-document"), HTTP_ACCEPT="application/did+json")
    assert plain["Content-Type"].startswith("application/did+json")
    # The certificate signed before the rotation still verifies.
    assert services.verify(str(credential.pk)).status == "valid"


# -- revocation by administrators ---------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_revokes_with_a_reason(world: World, credential: Any) -> None:
    from hocvu.credentials.models import EidOutbox

    admin = client_for(world.admin)
    changelist = reverse("admin:credentials_credential_changelist")
    listing = admin.get(changelist, {"q": "Đặng"})
    assert listing.status_code == 200 and "Đặng Thị Mai" in listing.content.decode()
    by_number = admin.get(changelist, {"q": str(credential.pk)})
    assert "Đặng Thị Mai" in by_number.content.decode()
    selection = {"action": "revoke", "_selected_action": [str(credential.pk)]}
    confirm = admin.post(changelist, selection)
    assert confirm.status_code == 200
    assert 'name="reason"' in confirm.content.decode()
    credential.refresh_from_db()
    assert credential.revoked_at is None  # nothing happens before the reason is given
    no_reason = admin.post(changelist, {**selection, "confirm": "1", "reason": " "})
    assert no_reason.status_code == 200
    credential.refresh_from_db()
    assert credential.revoked_at is None
    done = admin.post(changelist, {**selection, "confirm": "1", "reason": "Gian lận khi thi"})
    assert done.status_code == 302
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert credential.revocation_reason == "Gian lận khi thi"
    assert EidOutbox.objects.filter(credential=credential, action="revoke").count() == 1
    page = Client().get(reverse("verify-credential", kwargs={"credential_id": credential.pk}))
    assert page_status(page) == "revoked"
    detail = admin.get(reverse("admin:credentials_credential_change", args=[credential.pk]))
    assert detail.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager_a", "province_manager", "author", "learner"])
def test_no_one_else_revokes(world: World, credential: Any, persona: str) -> None:
    client = client_for(getattr(world, persona))
    changelist = reverse("admin:credentials_credential_changelist")
    assert client.get(changelist).status_code in {302, 403}
    selection = {"action": "revoke", "_selected_action": [str(credential.pk)]}
    response = client.post(changelist, {**selection, "confirm": "1", "reason": "x"})
    assert response.status_code in {302, 403}
    credential.refresh_from_db()
    assert credential.revoked_at is None
    for name in ("issuerkey", "eidoutbox", "achievement"):
        assert client.get(reverse(f"admin:credentials_{name}_changelist")).status_code in {
            302,
            403,
        }


@pytest.mark.django_db
def test_keys_are_listed_without_private_keys_and_rotate(world: World, credential: Any) -> None:
    from hocvu.credentials.models import IssuerKey

    admin = client_for(world.admin)
    changelist = reverse("admin:credentials_issuerkey_changelist")
    key = IssuerKey.objects.get()
    listing = admin.get(changelist)
    detail = admin.get(reverse("admin:credentials_issuerkey_change", args=[key.pk]))
    for response in (listing, detail):
        assert response.status_code == 200
        assert key.private_key_encrypted not in response.content.decode()
        assert "private" not in response.content.decode().lower()
    rotated = admin.post(changelist, {"action": "rotate", "_selected_action": [key.pk]})
    assert rotated.status_code == 302
    assert IssuerKey.objects.count() == 2
    key.refresh_from_db()
    assert key.retired_at is not None
    assert services.verify(credential.jwt).status == "valid"
    assert admin.get(reverse("admin:credentials_achievement_changelist")).status_code == 200
