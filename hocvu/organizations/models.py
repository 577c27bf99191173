"""The tree of units: the National Assembly, its bodies and delegations, People's Councils."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    NATIONAL = "national", _("National level")
    ASSEMBLY = "assembly", _("National Assembly")
    ASSEMBLY_BODY = "assembly_body", _("Agency or committee of the National Assembly")
    DELEGATION = "delegation", _("Provincial delegation of National Assembly deputies")
    COUNCILS = "councils", _("People's Councils")
    PROVINCIAL_COUNCIL = "provincial_council", _("Provincial People's Council")
    COMMUNE_COUNCIL = "commune_council", _("Commune People's Council")
    AGENCY = "agency", _("Agency")
    OTHER = "other", _("Other unit")


class Unit(models.Model):
    """A unit, placed in the tree by a materialized path.

    ``path`` is the concatenation of fixed-width segments, one per ancestor and the unit
    itself, so a subtree is one indexed prefix scan: ``path LIKE 'prefix%'``. The
    PostgreSQL index uses ``varchar_pattern_ops`` (see the migration) so the prefix scan
    is an index range scan whatever the database collation.
    """

    SEGMENT = 6  # base-36 digits per level: 2.1 billion units per parent

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    path = models.CharField(_("tree path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False)
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name
