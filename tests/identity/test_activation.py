"""Account activation for imported people: tokens, the learner's pages, the manager's
letters (PDF) and messages, each scoped by identity.access.

Personas: the imported people of commune A (no usable password), ``manager_a`` (commune
A), ``manager_b`` (commune B: outside), ``province_manager`` (above A), ``learner`` and
``outsider``.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from hocvu.audit.models import AuditEvent
from hocvu.identity import activation
from hocvu.identity.activation import ActivationError
from hocvu.identity.models import ActivationToken, User
from hocvu.identity.services import create_person
from hocvu.messaging.delivery import deliver_messages
from hocvu.messaging.models import Message, OutboxStatus
from tests.conftest import World

NEW_PASSWORD = "Hoc-so-2026-an-toan"
CCCD = ("001190012345", "001290054321")


@pytest.fixture
def imported(world: World) -> list[User]:
    """Two people imported into commune A (one with e-mail) and one into commune B."""
    cache.clear()
    return [
        create_person(
            username="hoa.nguyen",
            full_name="Nguyễn Thị Hoa",
            unit=world.commune_a,
            national_id=CCCD[0],
            email="hoa.nguyen@example.vn",
            position="Đại biểu HĐND xã",
        ),
        create_person(
            username="tuan.tran",
            full_name="Trần Văn Tuấn",
            unit=world.commune_a,
            national_id=CCCD[1],
        ),
        create_person(username="lan.le", full_name="Lê Thị Lan", unit=world.commune_b),
    ]


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- the service --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_activates_once_and_only_its_hash_is_stored(
    world: World, imported: list[User]
) -> None:
    hoa = imported[0]
    assert not hoa.has_usable_password()
    token = activation.issue_tokens([hoa], actor=world.manager_a)[hoa.pk]
    row = ActivationToken.objects.get(user=hoa)
    stored = " ".join(str(v) for v in ActivationToken.objects.values().get())
    assert token not in stored and activation.activation_code(token) not in stored
    assert row.expires_at - row.created_at == timedelta(days=30)

    user = activation.activate(token, NEW_PASSWORD)
    assert user.pk == hoa.pk and user.check_password(NEW_PASSWORD)
    with pytest.raises(ActivationError) as reused:
        activation.activate(token, "Another-pass-2026")
    assert reused.value.reason == "used"
    hoa.refresh_from_db()
    assert hoa.check_password(NEW_PASSWORD)
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "identity.activation.issue" in actions and "identity.activation.use" in actions


@pytest.mark.django_db
def test_an_expired_token_is_refused(world: World, imported: list[User]) -> None:
    token = activation.issue_tokens(imported[:1], actor=world.manager_a)[imported[0].pk]
    ActivationToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ActivationError) as error:
        activation.activate(token, NEW_PASSWORD)
    assert error.value.reason == "expired"
    imported[0].refresh_from_db()
    assert not imported[0].has_usable_password()


@pytest.mark.django_db
def test_issuing_again_revokes_the_older_letter(world: World, imported: list[User]) -> None:
    hoa = imported[0]
    first = activation.issue_tokens([hoa], actor=world.manager_a)[hoa.pk]
    second = activation.issue_tokens([hoa], actor=world.manager_a)[hoa.pk]
    with pytest.raises(ActivationError) as error:
        activation.activate(first, NEW_PASSWORD)
    assert error.value.reason == "revoked"
    assert activation.activate(second, NEW_PASSWORD).pk == hoa.pk


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000, "../../etc/passwd"])
def test_unknown_tokens_are_refused(token: str) -> None:
    with pytest.raises(ActivationError) as error:
        activation.activate(token, NEW_PASSWORD)
    assert error.value.reason == "unknown"


@pytest.mark.django_db
def test_a_weak_password_is_refused_and_the_token_stays_usable(
    world: World, imported: list[User]
) -> None:
    hoa = imported[0]
    token = activation.issue_tokens([hoa], actor=world.manager_a)[hoa.pk]
    for weak in ["12345678", "abc", "nguyen thi hoa"]:
        with pytest.raises(ValidationError):
            activation.activate(token, weak)
    assert ActivationToken.objects.get(user=hoa).used_at is None
    assert activation.activate(token, NEW_PASSWORD).check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_short_code_works_only_with_its_username_and_locks_after_wrong_guesses(
    world: World, imported: list[User]
) -> None:
    hoa, tuan = imported[0], imported[1]
    tokens = activation.issue_tokens([hoa, tuan], actor=world.manager_a)
    hoa_code = activation.activation_code(tokens[hoa.pk])
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", hoa_code)
    with pytest.raises(ActivationError):  # Hoa's code does not open Tuấn's account
        activation.activate_with_code("tuan.tran", hoa_code, NEW_PASSWORD)
    for _ in range(activation.MAX_CODE_FAILURES - 1):
        with pytest.raises(ActivationError):
            activation.activate_with_code("tuan.tran", "AAAA-AAAA", NEW_PASSWORD)
    right = activation.activation_code(tokens[tuan.pk])
    with pytest.raises(ActivationError) as locked:
        activation.activate_with_code("tuan.tran", right, NEW_PASSWORD)
    assert locked.value.reason == "locked"
    # Hoa types her code in lower case with a space: accepted.
    user = activation.activate_with_code(
        "hoa.nguyen", hoa_code.lower().replace("-", " "), NEW_PASSWORD
    )
    assert user.pk == hoa.pk and user.check_password(NEW_PASSWORD)


# --- the learner's pages --------------------------------------------------------------


@pytest.mark.django_db
def test_the_learner_sets_a_password_and_is_logged_in(world: World, imported: list[User]) -> None:
    hoa = imported[0]
    token = activation.issue_tokens([hoa], actor=world.manager_a)[hoa.pk]
    client = Client()
    url = reverse("activate", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Nguyễn Thị Hoa" in page.content.decode() and "hoa.nguyen" in page.content.decode()
    assert CCCD[0] not in page.content.decode()
    mismatch = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert mismatch.status_code == 200
    assert ActivationToken.objects.get(user=hoa).used_at is None
    done = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert int(client.session["_auth_user_id"]) == hoa.pk
    again = Client().get(url)
    assert again.status_code == 410
    assert Client().get(reverse("activate", args=["not-a-token"])).status_code == 404


@pytest.mark.django_db
def test_the_code_page_activates_and_limits_guessing_per_address(
    world: World, imported: list[User]
) -> None:
    tuan = imported[1]
    token = activation.issue_tokens([tuan], actor=world.manager_a)[tuan.pk]
    client = Client(REMOTE_ADDR="203.0.113.7")
    form = {"username": "tuan.tran", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    wrong = client.post(reverse("activate-code"), {**form, "code": "AAAA-AAAA"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    # Guessing across many usernames from one address is cut off.
    for n in range(25):
        client.post(reverse("activate-code"), {**form, "username": f"u{n}", "code": "AAAA-AAAA"})
    right = {**form, "code": activation.activation_code(token)}
    assert client.post(reverse("activate-code"), right).status_code == 429
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert other.post(reverse("activate-code"), right).status_code == 302
    tuan.refresh_from_db()
    assert tuan.check_password(NEW_PASSWORD)


# --- the manager's letters and messages ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("manager_a", 200),
        ("province_manager", 200),
        ("manager_b", 404),
        ("learner", 404),
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_the_activation_page_is_scoped(
    world: World, imported: list[User], persona: str, status: int
) -> None:
    client = client_for(world.personas()[persona])
    page = client.get(reverse("unit-activation", args=[world.commune_a.pk]))
    assert page.status_code == status
    if status == 200:
        text = page.content.decode()
        assert "Nguyễn Thị Hoa" in text and "Trần Văn Tuấn" in text
        assert "Lê Thị Lan" not in text and "Đặng Thị Mai" not in text  # has a password
        assert CCCD[0] not in text


@pytest.mark.django_db
def test_the_letters_pdf_has_one_page_per_person_and_no_id_number(
    world: World, imported: list[User]
) -> None:
    client = client_for(world.manager_a)
    response = client.post(reverse("unit-activation-letters", args=[world.commune_a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 2
    text = "\n".join(pages)
    assert "Nguyễn Thị Hoa" in text and "tuan.tran" in text and "HĐND xã A" in text
    for number in CCCD:
        assert number not in text and number.encode() not in response.content
    assert "Lê Thị Lan" not in text
    # The code printed on Hoa's page activates her account together with her username.
    hoa_page = next(p for p in pages if "hoa.nguyen" in p)
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", hoa_page.split("hoa.nguyen", 1)[1])
    assert code is not None
    user = activation.activate_with_code("hoa.nguyen", code.group(0), NEW_PASSWORD)
    assert user.pk == imported[0].pk


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["manager_b", "learner", "outsider"])
def test_no_letters_or_messages_outside_the_managers_subtree(
    world: World, imported: list[User], persona: str
) -> None:
    client = client_for(world.personas()[persona])
    unit = world.commune_a.pk
    assert client.post(reverse("unit-activation-letters", args=[unit])).status_code == 404
    assert client.post(reverse("unit-activation-send", args=[unit])).status_code == 404
    assert ActivationToken.objects.count() == 0 and Message.objects.count() == 0


@pytest.mark.django_db
def test_activation_emails_go_through_the_outbox(world: World, imported: list[User]) -> None:
    client = client_for(world.manager_a)
    assert (
        client.get(reverse("unit-activation-letters", args=[world.commune_a.pk])).status_code == 405
    )
    response = client.post(reverse("unit-activation-send", args=[world.commune_a.pk]))
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.channel == "email" and message.recipient == "hoa.nguyen@example.vn"
    assert message.person_id == imported[0].pk and message.status == OutboxStatus.PENDING
    assert ActivationToken.objects.filter(user=imported[1]).count() == 0  # no address: skipped
    assert deliver_messages()["sent"] == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    match = re.search(r"/activate/([A-Za-z0-9_-]{40,})/", str(sent.body))
    assert match and "hoa.nguyen" in sent.body and CCCD[0] not in sent.body
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.body == ""  # the link is not kept
    assert activation.activate(match.group(1), NEW_PASSWORD).pk == imported[0].pk


@pytest.mark.django_db
def test_the_unit_page_links_managers_to_activation_in_vietnamese(
    world: World, imported: list[User]
) -> None:
    link = reverse("unit-activation", args=[world.commune_a.pk])
    manager_page = client_for(world.manager_a).get(reverse("unit", args=[world.commune_a.pk]))
    assert link in manager_page.content.decode()
    page = client_for(world.manager_a).get(link).content.decode()
    assert "Kích hoạt tài khoản" in page and "In thư kích hoạt (PDF)" in page


@pytest.mark.django_db
def test_hostile_input_gets_a_clear_answer_and_changes_nothing(
    world: World, imported: list[User]
) -> None:
    cache.clear()
    anonymous = Client()
    for token in ["%00", "a" * 300, "<script>", "' OR 1=1 --"]:
        assert anonymous.get(f"/activate/{token}/").status_code == 404
        assert anonymous.post(f"/activate/{token}/", {"new_password1": "x"}).status_code == 404
    for form in [{}, {"username": "x" * 1000, "code": "y" * 1000}, {"code": "\x00"}]:
        assert anonymous.post(reverse("activate-code"), form).status_code == 200
    manager = client_for(world.manager_a)
    assert manager.post("/units/999999/activation/letters.pdf").status_code == 404
    assert manager.post("/units/999999/activation/send/").status_code == 404
    assert ActivationToken.objects.count() == 0 and Message.objects.count() == 0
    assert all(
        not p.has_usable_password() for p in User.objects.filter(pk__in=[p.pk for p in imported])
    )
