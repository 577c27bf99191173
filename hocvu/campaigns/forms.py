"""The campaign assignment form: parse and check what the manager typed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hocvu.campaigns.services import TargetSpec
from hocvu.content.models import Program
from hocvu.identity import access
from hocvu.organizations.models import Unit

TARGET_ROWS = 3


class CampaignForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.order_by("pk"), label=_("Program"))
    unit_code = forms.CharField(
        label=_("Unit code"),
        max_length=64,
        help_text=_("The unit whose whole subtree takes part, e.g. QH for the National Assembly."),
    )
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    starts_on = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    remind_days_before = forms.IntegerField(
        label=_("Remind this many days before the deadline"), min_value=1, max_value=365, initial=14
    )
    stall_days = forms.IntegerField(
        label=_("Remind after this many days without activity"),
        min_value=1,
        max_value=365,
        initial=14,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for i in range(TARGET_ROWS):
            self.fields[f"target_{i}_date"] = forms.DateField(
                label=_("Target date"),
                required=i == 0,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"target_{i}_percent"] = forms.DecimalField(
                label=_("Share certified (%)"),
                required=i == 0,
                min_value=Decimal("0.1"),
                max_value=Decimal(100),
                decimal_places=1,
            )

    def clean_unit_code(self) -> Unit:
        code = self.cleaned_data["unit_code"].strip()
        unit = access.units_for(self.user, "unit.manage").filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("No unit with this code in the units you manage."))
        return unit

    def targets(self) -> list[TargetSpec]:
        out = []
        for i in range(TARGET_ROWS):
            by: date | None = self.cleaned_data.get(f"target_{i}_date")
            pct: Decimal | None = self.cleaned_data.get(f"target_{i}_percent")
            if by is None and pct is None:
                continue
            if by is None or pct is None:
                raise forms.ValidationError(_("Each target needs both a date and a share."))
            out.append(TargetSpec(by_date=by, share=(pct / 100).quantize(Decimal("0.001"))))
        return out
