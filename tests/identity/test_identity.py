from __future__ import annotations

import pytest
from django.core import serializers
from django.db import connection
from django.db.utils import IntegrityError
from pytest_django import Settings

from hocvu.audit import crypto
from hocvu.identity.models import User
from hocvu.identity.services import (
    InvalidNationalId,
    create_person,
    find_by_national_id,
    normalize_national_id,
)

ID_NUMBER = "079190001234"


def raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM identity_user")
        return repr(cursor.fetchall())


@pytest.mark.django_db
def test_the_national_id_is_never_stored_in_clear() -> None:
    person = create_person(username="a", full_name="Nguyễn Văn A", unit=None, national_id=ID_NUMBER)
    assert ID_NUMBER not in raw_rows()
    stored = User.objects.get(pk=person.pk)
    assert stored.national_id == ID_NUMBER  # decrypts on read
    dumped = serializers.serialize("json", User.objects.all())
    assert ID_NUMBER not in dumped
    assert find_by_national_id("079 190 001 234") == person
    assert find_by_national_id("079190001235") is None


@pytest.mark.django_db
def test_the_same_id_cannot_be_registered_twice() -> None:
    create_person(username="a", full_name="A", unit=None, national_id=ID_NUMBER)
    with pytest.raises(IntegrityError):
        create_person(username="b", full_name="B", unit=None, national_id=ID_NUMBER)


@pytest.mark.parametrize("bad", ["12345", "07919000123x", "0791900012345", ""])
def test_a_bad_id_number_is_refused(bad: str) -> None:
    with pytest.raises(InvalidNationalId):
        normalize_national_id(bad)


def test_ciphertext_is_bound_to_its_field(settings: Settings) -> None:
    token = crypto.encrypt(ID_NUMBER, "identity_user.national_id")
    assert crypto.decrypt(token, "identity_user.national_id") == ID_NUMBER
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "other_table.other_column")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, "identity_user.national_id")


def test_keys_rotate_without_losing_old_values(settings: Settings) -> None:
    old = crypto.encrypt(ID_NUMBER, "ctx")
    settings.FIELD_ENCRYPTION_KEYS = ["new-key-" + "x" * 40, *settings.FIELD_ENCRYPTION_KEYS]
    crypto.clear_key_cache()
    try:
        new = crypto.encrypt(ID_NUMBER, "ctx")
        assert new.split(":")[1] != old.split(":")[1]  # written under the new key
        assert crypto.decrypt(old, "ctx") == ID_NUMBER  # old values still read
    finally:
        settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[1:]
        crypto.clear_key_cache()


def test_mask_shows_only_the_tail() -> None:
    assert crypto.mask(ID_NUMBER) == "*********234"
