"""Campaigns (a program assigned to a unit subtree, with dated targets) and progress.

Progress is kept in two tables maintained as events happen (``hocvu.campaigns.progress``),
never computed from answers when a page opens:

- :class:`PersonStatus`, one row per person: where they are on the way from account to
  certificate, with the date each step was reached;
- :class:`UnitDay`, per unit and day, the totals of the unit's whole subtree at the end of
  that day. A dashboard for any unit reads that one unit's rows, so it costs the same for
  100 people or 1,000,000.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The counters kept per person (as dates) and per unit and day (as totals), in funnel order.
MEASURES = ("people", "activated", "placed", "learning", "at_target", "certified")


class Measure(models.TextChoices):
    """What a target counts: certified people, or people whose every competence is at target."""

    CERTIFIED = "certified", _("certified")
    AT_TARGET = "at_target", _("at target")


class Campaign(models.Model):
    """A program assigned to everyone in ``unit``'s subtree, from ``starts_on`` to ``deadline``.

    Each person's goal is their own role profile (``User.job_role``) in the program's
    framework version, and a certificate of the program's achievement for that role.
    Reminders go out ``remind_days_before`` days before the deadline and to people with
    no activity for ``stall_days`` days.
    """

    program = models.ForeignKey(
        "content.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )
    unit = models.ForeignKey(
        "organizations.Unit",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("unit"),
    )
    title = models.CharField(_("title"), max_length=255)
    starts_on = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind this many days before the deadline"), default=14
    )
    stall_days = models.PositiveSmallIntegerField(
        _("remind after this many days without activity"), default=14
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("starts_on")),
                name="campaign_deadline_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Target(models.Model):
    """``share`` (0-1) of the campaign's people must be ``measure`` by ``by_date``."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    by_date = models.DateField(_("by"))
    share = models.DecimalField(_("share"), max_digits=4, decimal_places=3)
    measure = models.CharField(
        _("measure"), max_length=16, choices=Measure.choices, default=Measure.CERTIFIED
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["by_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "by_date", "measure"], name="one_target"),
            models.CheckConstraint(
                condition=models.Q(share__gt=0) & models.Q(share__lte=1), name="target_share_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.share:.0%} {self.measure} @ {self.by_date}"


class PersonStatus(models.Model):
    """Where one person stands, maintained from the events of the lower apps.

    A step's date is the local day on which it was reached; None means not (or no longer)
    reached. ``counted`` is False for people outside the aggregates (no unit, deactivated);
    ``unit_path`` is the copy of the unit's path the aggregates were last counted under,
    so a move subtracts from exactly the units that were credited.
    """

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    unit = models.ForeignKey(
        "organizations.Unit", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unit_path = models.CharField(max_length=255, blank=True)
    counted = models.BooleanField(default=False)
    full_name = models.CharField(max_length=255, blank=True)
    #: ``full_name`` lower-cased without diacritics (đ -> d), for searching.
    name_folded = models.CharField(max_length=255, blank=True)
    job_role = models.CharField(max_length=64, blank=True)
    since = models.DateField(
        null=True, blank=True, help_text="the day the person was first counted"
    )
    activated_on = models.DateField(null=True, blank=True, help_text="account usable")
    placed_on = models.DateField(null=True, blank=True, help_text="placement test finished")
    learning_on = models.DateField(null=True, blank=True, help_text="first lesson opened")
    at_target_on = models.DateField(
        null=True, blank=True, help_text="every competence of the role at its target level"
    )
    certified_on = models.DateField(null=True, blank=True, help_text="holds a valid certificate")
    #: Competences of the role below target (unmeasured ones included); None before placement.
    gaps = models.PositiveSmallIntegerField(null=True, blank=True)
    last_activity = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person status")
        verbose_name_plural = _("person statuses")
        indexes = [
            models.Index(fields=["unit_path", "name_folded"], name="status_path_name"),
            models.Index(fields=["last_activity"], name="status_last_activity"),
            # The national list pages through a million people in name order.
            models.Index(fields=["name_folded", "person"], name="status_name"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} · {self.unit_path}"

    def flags(self) -> dict[str, bool]:
        """The six counters this person contributes (all False when not counted)."""
        on = self.counted
        return {
            "people": on,
            "activated": on and self.activated_on is not None,
            "placed": on and self.placed_on is not None,
            "learning": on and self.learning_on is not None,
            "at_target": on and self.at_target_on is not None,
            "certified": on and self.certified_on is not None,
        }


class UnitDay(models.Model):
    """Totals of ``unit``'s whole subtree at the end of ``day``.

    A row exists for each day on which something changed in the subtree; a missing day has
    the totals of the previous row. Rows are only ever changed by adding to them
    (``progress.apply``), with F() expressions, so concurrent events do not lose counts.
    """

    unit = models.ForeignKey("organizations.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    people = models.IntegerField(default=0)
    activated = models.IntegerField(default=0)
    placed = models.IntegerField(default=0)
    learning = models.IntegerField(default=0)
    at_target = models.IntegerField(default=0)
    certified = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("unit day")
        verbose_name_plural = _("unit days")
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="one_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} · {self.day}"

    def totals(self) -> dict[str, int]:
        return {m: int(getattr(self, m)) for m in MEASURES}
