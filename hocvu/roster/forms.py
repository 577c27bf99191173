"""The upload form: a file and the unit whose subtree the roster fills."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hocvu.identity import access
from hocvu.organizations.models import Unit
from hocvu.roster.reading import MAX_FILE_BYTES
from hocvu.roster.services import PERMISSION


class UploadForm(forms.Form):
    unit = forms.CharField(label=pgettext_lazy("roster", "Unit code"), max_length=64)
    file = forms.FileField(
        label=_("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_unit(self) -> Unit:
        code = self.cleaned_data["unit"].strip()
        unit = access.units_for(self.user, PERMISSION).filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit with this code among the units you manage."))
        return unit

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB. Split it into smaller files.")
                % {"limit": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload
