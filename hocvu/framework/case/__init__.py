"""CASE 1.1 packages of a framework version (1EdTech Competencies and Academic Standards Exchange).

:func:`export_package` turns a framework version into a ``CFPackage`` (the JSON binding of
CASE 1.1); :func:`import_package` reads such a package back into a new draft version, all or
nothing. The mapping is documented in ``docs/case.md``; in short:

* the version is the ``CFDocument`` (identifier = the version's uuid);
* areas, competences, competence levels (the can-do statements), the four proficiency levels
  and the role profiles are ``CFItems`` of five ``CFItemTypes`` (identifier = the row's uuid);
* ``isChildOf`` associations make the tree document → area → competence → competence level,
  ``sequenceNumber`` giving the order (and, for a competence level, its level 1–4);
* ``hasSkillLevel`` links a competence level to its proficiency level;
* ``precedes`` links a prerequisite to the competence level that needs it;
* ``isRelatedTo`` associations in the "role target level" grouping link a role profile to the
  competence level it must reach;
* English text, descriptions and work contexts travel in the ``extensions`` object of each
  entity under the key ``ext:hocvu``, English as a language-tagged alternative
  (``translations.en``).

Identifiers of the definitions (item types, grouping) and of the associations are name-based
UUIDs (version 5), so every export of the same relation carries the same identifier.

The package is laid out along those lines: :mod:`.vocabulary` holds the terms of the format
(constants, item types, name-based identifiers, addresses), :mod:`.export` builds packages,
:mod:`.reader` validates incoming ones without touching the database, and this module writes a
validated package as a new version. :func:`import_package` lives here, beside the model names
it uses, so that ``case.RoleProfile`` and the rest are the very objects it writes through.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hocvu.framework import services
from hocvu.framework.case.export import dumps, export_document, export_package
from hocvu.framework.case.reader import ReadPackage, read_package
from hocvu.framework.case.vocabulary import (
    API_PATH,
    AREA,
    ASSOCIATION_TYPES,
    CASE_VERSION,
    COMPETENCE,
    COMPETENCE_LEVEL,
    DEFAULT_CREATOR,
    DEFAULT_PUBLIC_URL,
    EXTENSION,
    FORMAT_VERSION,
    ITEM_TYPES,
    LANGUAGE,
    NAMESPACE,
    PROFICIENCY_LEVEL,
    ROLE_PROFILE,
    ROLE_TARGET,
    TRANSLATION,
    CaseError,
    TypeDefinition,
    base_url,
    entity_uri,
)
from hocvu.framework.models import FrameworkVersion, LevelDefinition, RoleProfile

# The public names of the former single module ``hocvu/framework/case.py``, unchanged.
__all__ = [
    "API_PATH",
    "AREA",
    "ASSOCIATION_TYPES",
    "CASE_VERSION",
    "COMPETENCE",
    "COMPETENCE_LEVEL",
    "DEFAULT_CREATOR",
    "DEFAULT_PUBLIC_URL",
    "EXTENSION",
    "FORMAT_VERSION",
    "ITEM_TYPES",
    "LANGUAGE",
    "NAMESPACE",
    "PROFICIENCY_LEVEL",
    "ROLE_PROFILE",
    "ROLE_TARGET",
    "TRANSLATION",
    "CaseError",
    "ReadPackage",
    "TypeDefinition",
    "base_url",
    "dumps",
    "entity_uri",
    "export_document",
    "export_package",
    "import_package",
    "read_package",
]


def import_package(data: Any, *, actor: Any = None) -> FrameworkVersion:
    """Create a new draft version from a CFPackage (dict, or JSON text/bytes). All or nothing.

    Areas, competences, competence levels, proficiency levels and role profiles keep the
    identifiers they have in the package. The version keeps the document's identifier when no
    version here has it yet (a package from another installation), else it gets a new one.
    """
    package = read_package(data)
    with transaction.atomic():
        try:
            version = services.create_version_from_definition(package.definition, actor=actor)
        except services.DefinitionError as exc:
            raise CaseError(f"package: {exc}") from exc
        # create_version_from_definition gives these rows new identifiers: restore them.
        for number, ident in package.level_uuids.items():
            LevelDefinition.objects.filter(version=version, number=number).update(uuid=ident)
        for code, ident in package.role_uuids.items():
            RoleProfile.objects.filter(version=version, code=code).update(uuid=ident)
        if not FrameworkVersion.objects.filter(uuid=package.document_identifier).exists():
            FrameworkVersion.objects.filter(pk=version.pk).update(uuid=package.document_identifier)
            version.refresh_from_db()
    return version
