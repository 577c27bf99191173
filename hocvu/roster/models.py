"""Roster imports: one uploaded file, its rows as previewed, its problems, and phones.

What the file says (the checked rows, ID numbers included) is kept only between the
preview and the commit, compressed and encrypted (``payload``); preview rows keep the
number masked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportStatus(models.TextChoices):
    INVALID = "invalid", _("Has errors")
    PREVIEW = "preview", _("Ready to import")
    COMMITTED = "committed", pgettext_lazy("roster", "Imported")
    EXPIRED = "expired", _("Expired")


class Level(models.TextChoices):
    ERROR = "error", pgettext_lazy("roster", "Error")
    WARNING = "warning", pgettext_lazy("roster", "Warning")
    DUPLICATE = "duplicate", _("Possible duplicate")


class RowStatus(models.TextChoices):
    OK = "ok", pgettext_lazy("roster", "New")
    WARNING = "warning", _("New, normalised")
    UNCHANGED = "unchanged", _("Already stored, unchanged")
    DUPLICATE = "duplicate", _("Needs a decision")
    ERROR = "error", pgettext_lazy("roster", "Error")
    SKIPPED = "skipped", pgettext_lazy("roster", "Skipped")


class Decision(models.TextChoices):
    CREATE = "create", _("Create a new person")
    UPDATE = "update", _("Update the stored person")
    SKIP = "skip", _("Skip this row")


class RosterImport(models.Model):
    """One uploaded roster file for a unit's subtree, from preview to commit."""

    unit = models.ForeignKey(
        "organizations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(pgettext_lazy("roster", "file name"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=ImportStatus.choices)
    # Column keys in file order with the file's own header text, e.g. [["full_name", "Họ tên"]].
    columns = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    warning_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    # Empty cells per column key (data-quality figures).
    missing = models.JSONField(default=dict)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # The checked rows, AES-GCM encrypted; cleared at commit or expiry.
    payload = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name


class RosterRow(models.Model):
    """A data row as the preview shows it (the ID number masked)."""

    roster_import = models.ForeignKey(RosterImport, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField()  # as the spreadsheet numbers it, header = 1
    status = models.CharField(max_length=16, choices=RowStatus.choices)
    full_name = models.CharField(max_length=255, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=16, blank=True)
    national_id_masked = models.CharField(max_length=16, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    email = models.CharField(max_length=254, blank=True)
    unit_code = models.CharField(max_length=64, blank=True)
    position = models.CharField(max_length=255, blank=True)
    job_role = models.CharField(max_length=64, blank=True)
    # The stored person this row matches, only when the importer may see them.
    match = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    choices = models.CharField(max_length=32, blank=True)  # comma-separated Decision values
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)

    class Meta:
        ordering = ["roster_import", "row"]
        constraints = [
            models.UniqueConstraint(fields=["roster_import", "row"], name="unique_roster_row")
        ]

    def __str__(self) -> str:
        return f"{self.roster_import_id}:{self.row}"

    def choice_list(self) -> list[str]:
        return [c for c in self.choices.split(",") if c]


class RosterProblem(models.Model):
    """One problem in one cell (or row, or the whole file when ``row`` is 0)."""

    roster_import = models.ForeignKey(
        RosterImport, on_delete=models.CASCADE, related_name="problems"
    )
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)  # the file's header text
    field = models.CharField(max_length=32, blank=True)  # the column key
    level = models.CharField(max_length=16, choices=Level.choices)
    code = models.CharField(max_length=48)
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["roster_import", "row", "pk"]
        indexes = [models.Index(fields=["roster_import", "row"], name="roster_problem_row")]

    def __str__(self) -> str:
        return f"{self.roster_import_id}:{self.row}:{self.code}"


class Contact(models.Model):
    """A person's mobile phone, for reminders (the e-mail lives on the person)."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact"
    )
    phone = models.CharField(pgettext_lazy("roster", "mobile phone"), max_length=16, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("roster", "contact")
        verbose_name_plural = pgettext_lazy("roster", "contacts")

    def __str__(self) -> str:
        return self.phone
