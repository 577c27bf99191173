"""An item's life: draft -> pilot (unscored in placement) -> operational (scored) -> retired.

Each move is checked (a valid key, a question, an explanation; no operational item with
negative discrimination) and audited; answered items are retired, never deleted.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from hocvu.audit import services as audit
from hocvu.content import flags
from hocvu.content.models import Item, ItemStatus
from hocvu.content.scoring import check_key

#: Allowed moves: target status -> statuses it may come from.
MOVES: dict[str, tuple[str, ...]] = {
    ItemStatus.PILOT: (ItemStatus.DRAFT,),
    ItemStatus.OPERATIONAL: (ItemStatus.PILOT,),
    ItemStatus.RETIRED: (ItemStatus.PILOT, ItemStatus.OPERATIONAL),
}


def item_problems(item: Item, target: str) -> list[str]:
    """Why ``item`` may not move to ``target`` (empty when it may)."""
    problems: list[str] = []
    if item.status not in MOVES[target]:
        problems.append(
            _("cannot go from %(a)s to %(b)s")
            % {"a": item.get_status_display(), "b": ItemStatus(target).label}
        )
        return problems
    if target == ItemStatus.RETIRED:
        return problems
    try:
        check_key(item.kind, item.answer, len(item.options or []))
    except ValueError as exc:
        problems.append(_("the key is not valid: %(e)s") % {"e": exc})
    if not item.stem.strip():
        problems.append(_("the question is empty"))
    if not item.explanation.strip():
        problems.append(_("the explanation is missing"))
    if target == ItemStatus.OPERATIONAL and flags.NEGATIVE_DISCRIMINATION in item.flags:
        problems.append(_("its discrimination is negative: check the key"))
    return problems


def move_item(item: Item, target: str, *, actor: Any) -> list[str]:
    """Move ``item`` to ``target`` and audit it; the problems that stop it, or []."""
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=item.pk)
        problems = item_problems(item, target)
        if problems:
            return problems
        before = item.status
        item.status = target
        item.save(update_fields=["status"])
        audit.record(
            "item.status",
            actor=actor,
            obj=item,
            data={"code": item.code, "from": before, "to": target},
        )
    return []
