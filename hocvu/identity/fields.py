"""A model field that keeps its value encrypted at rest."""

from __future__ import annotations

from typing import Any

from django.db import models

from hocvu.audit import crypto


# The base class is generic only in django-stubs (no subscript at run time).
class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted with AES-GCM before it reaches the database.

    The field's ``db_column`` name is the associated data, so a ciphertext copied into
    another column does not decrypt. Serialization (dumpdata, exports) sees ciphertext.
    """

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), self._context())

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self._context())

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return self.get_prep_value(value) or ""

    def _context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"
