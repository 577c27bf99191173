"""The terms of this CASE 1.1 format: constants, item types, identifiers, addresses.

Everything here is part of the format itself, shared by export and reader. Changing
``NAMESPACE`` or a type's ``key`` changes the name-based identifiers an export carries, so
another installation would no longer recognise the item types, grouping and associations of
an earlier package. Nothing here touches the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings

CASE_VERSION = "1.1"
API_PATH = "/ims/case/v1p1"
EXTENSION = "ext:hocvu"
FORMAT_VERSION = 1
LANGUAGE = "vi"
TRANSLATION = "en"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_CREATOR = "hocvu"
# Namespace of the name-based identifiers below; a constant of this format, never change it.
NAMESPACE = uuid.UUID("aa74c69c-e41e-4c6b-84b1-2855c1cd6a3c")

ASSOCIATION_TYPES = (
    "isChildOf",
    "isPeerOf",
    "isPartOf",
    "exactMatchOf",
    "precedes",
    "isRelatedTo",
    "replacedBy",
    "exemplar",
    "hasSkillLevel",
    "isTranslationOf",
)


class CaseError(ValueError):
    """A CASE package cannot be read; the message names the place (e.g. ``CFItems[3].uri``)."""


def name_uuid(name: str) -> str:
    """A name-based UUID (version 5): the same name gives the same identifier in every export."""
    return str(uuid.uuid5(NAMESPACE, name))


@dataclass(frozen=True)
class TypeDefinition:
    """A CFItemType or CFAssociationGrouping this format uses (title in Vietnamese)."""

    key: str
    title: str
    title_en: str
    description: str
    description_en: str
    hierarchy_code: str = ""

    @property
    def identifier(self) -> str:
        return name_uuid(f"definition:{self.key}")


AREA = TypeDefinition(
    "competence-area",
    "Miền năng lực",
    "Competence area",
    "Nhóm các năng lực thành phần có liên quan với nhau.",
    "A group of related competences.",
    "1",
)
COMPETENCE = TypeDefinition(
    "competence",
    "Năng lực thành phần",
    "Competence",
    "Một năng lực thành phần của khung, được mô tả ở bốn trình độ.",
    "One competence of the framework, described at four proficiency levels.",
    "1.1",
)
COMPETENCE_LEVEL = TypeDefinition(
    "competence-level",
    "Mô tả năng lực theo trình độ",
    "Competence level",
    "Mô tả “có thể làm được” của một năng lực thành phần ở một trình độ; "
    "số thứ tự (sequenceNumber) của liên kết isChildOf là trình độ (1–4).",
    "The can-do statement of one competence at one proficiency level; the sequenceNumber of "
    "its isChildOf association is the level (1–4).",
    "1.1.1",
)
PROFICIENCY_LEVEL = TypeDefinition(
    "proficiency-level",
    "Trình độ",
    "Proficiency level",
    "Một trong bốn trình độ của khung: Cơ bản, Trung cấp, Nâng cao, Chuyên sâu; "
    "listEnumeration là số của trình độ.",
    "One of the framework's four proficiency levels; listEnumeration is the level number.",
    "2",
)
ROLE_PROFILE = TypeDefinition(
    "role-profile",
    "Vai trò",
    "Role profile",
    "Một vai trò (đại biểu, công chức, người dân…) với mức mục tiêu cho từng năng lực thành "
    "phần, biểu diễn bằng các liên kết trong nhóm “Mức mục tiêu theo vai trò”.",
    "A role (deputy, official, citizen, ...) with a target level for each competence, given "
    "by its associations in the “Role target level” grouping.",
    "3",
)
ROLE_TARGET = TypeDefinition(
    "role-target",
    "Mức mục tiêu theo vai trò",
    "Role target level",
    "Liên kết isRelatedTo từ một vai trò đến mô tả năng lực ở trình độ mục tiêu của vai trò đó.",
    "isRelatedTo from a role profile to the competence level that is the role's target.",
)
ITEM_TYPES = (AREA, COMPETENCE, COMPETENCE_LEVEL, PROFICIENCY_LEVEL, ROLE_PROFILE)


def level_code(competence_code: str, level: int) -> str:
    """The ``humanCodingScheme`` of a competence level, e.g. ``1.1-L2``."""
    return f"{competence_code}-L{level}"


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------


def base_url() -> str:
    """The public address of this installation (setting ``PUBLIC_URL``)."""
    return str(getattr(settings, "PUBLIC_URL", DEFAULT_PUBLIC_URL)).rstrip("/")


def entity_uri(collection: str, identifier: str) -> str:
    """E.g. ``entity_uri("CFItems", id)`` → ``<PUBLIC_URL>/ims/case/v1p1/CFItems/<id>``."""
    return f"{base_url()}{API_PATH}/{collection}/{identifier}"
