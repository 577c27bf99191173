"""A realistic national population with a campaign history, for benchmarks and the demo.

``generate(people=N, seed=S, since=2025-09-01)`` spreads N people over the shipped national
tree (the National Assembly's bodies and delegations, 34 provincial People's Councils and
~3,321 commune People's Councils, created here when missing), with Vietnamese names, role
profiles and positions, and gives each a history from ``since`` to today: activation,
placement, learning, competences at target and certification, each step later than the one
before, reached by fewer people, on S-shaped curves (event days are normally distributed
around a unit-specific pace); about one commune in ten lags far behind.

What it writes, and what it does not: the people themselves (``bulk_create``; one unusable
password hash for everybody: nobody can log in as a generated person, and no password is
hashed per person) and the progress tables directly: :class:`PersonStatus` rows and
:class:`UnitDay` totals computed from them. No answers, attempts, proficiencies or signed
certificates are created — at a million people that would take hours and measure nothing
the dashboards read. ``rebuild_progress --aggregates-only`` recomputes the same totals from
the status rows (a test checks it); a full ``rebuild_progress`` would, by design, find these
people activated nowhere and certified nowhere, since the source tables hold nothing for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from hocvu.campaigns.models import MEASURES, Campaign, PersonStatus
from hocvu.campaigns.progress import fold
from hocvu.campaigns.rebuild import copy_rows, rebuild_unit_days_fast
from hocvu.organizations import services as units
from hocvu.organizations.models import Unit, UnitKind

SURNAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 3),
    ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 2), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4),
    ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5), ("Đinh", 0.7), ("Trương", 0.6),
    ("Lương", 0.4), ("Mai", 0.4), ("Hà", 0.4), ("Tạ", 0.2), ("Lò", 0.2), ("Quàng", 0.1),
]  # fmt: skip
MIDDLE = {
    "male": ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Công", "Thành", "Xuân", "Đình", "Ngọc"],
    "female": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương"],
}
GIVEN = {
    "male": ["An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hải", "Hiếu", "Hùng", "Huy",
             "Khánh", "Long", "Mạnh", "Nam", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng",
             "Thành", "Trung", "Tuấn", "Việt", "Vinh"],
    "female": ["Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
               "Loan", "Mai", "Nga", "Ngân", "Nhung", "Oanh", "Phượng", "Quyên", "Thảo",
               "Thủy", "Trang", "Tuyết", "Uyên", "Vân", "Yến"],
}  # fmt: skip
COMMUNE_NAMES = [
    "Tân Lập", "Hòa Bình", "Phú Mỹ", "An Phú", "Bình Minh", "Thành Công", "Quyết Thắng",
    "Đoàn Kết", "Hưng Đạo", "Thống Nhất", "Tân Tiến", "Quang Trung", "Hồng Phong", "Yên Thế",
    "Phú Lộc", "Vĩnh Hòa", "Cẩm Thành", "Nghĩa Đàn", "Sơn Hà", "Đông Hưng", "Tây Sơn",
    "Long Hải", "Thạch Bình", "Mỹ Xuyên", "Hải Lăng", "Kim Sơn", "Lạc Thủy", "Ea Kar",
]  # fmt: skip
COMMUNES_TOTAL = 3321  # commune-level units after 1 July 2025
PREFIX = "dan"  # generated usernames: dan<seed>-<n>

#: Role profile, position, unit kind and pace of each group: (mean days to activation,
#: its spread, days from activation to certification, share who ever certify).
GROUPS = {
    "na_deputy": ("Đại biểu Quốc hội", UnitKind.DELEGATION, 35, 20, 70, 0.97),
    "na_official": ("Chuyên viên", UnitKind.ASSEMBLY_BODY, 40, 25, 80, 0.95),
    "provincial_council": ("Đại biểu HĐND tỉnh", UnitKind.PROVINCIAL_COUNCIL, 120, 60, 140, 0.9),
    "commune_council": ("Đại biểu HĐND xã", UnitKind.COMMUNE_COUNCIL, 170, 90, 170, 0.85),
}


@dataclass(frozen=True)
class Report:
    people: int
    units: int
    unit_days: int
    seconds: float


def ensure_tree(communes_total: int = COMMUNES_TOTAL) -> list[Unit]:
    """The national tree plus commune councils up to ``communes_total`` (spread over the 34
    provinces by a fixed pattern); returns the commune units."""
    units.install_national_tree()
    councils = list(Unit.objects.filter(kind=UnitKind.PROVINCIAL_COUNCIL).order_by("path"))
    weights = np.random.default_rng(0).uniform(0.5, 1.5, len(councils))
    wanted = np.floor(weights / weights.sum() * communes_total).astype(int)
    wanted[: communes_total - int(wanted.sum())] += 1
    have = dict(
        Unit.objects.filter(parent__in=councils)
        .values("parent_id")
        .annotate(n=Count("pk"))
        .values_list("parent_id", "n")
    )
    for council, n in zip(councils, wanted, strict=True):
        start = have.get(council.pk, 0)
        if start >= n:
            continue
        province = council.code.removeprefix("HDND-")
        rows = []
        for i in range(start, int(n)):
            name = COMMUNE_NAMES[i % len(COMMUNE_NAMES)]
            suffix = f" {i // len(COMMUNE_NAMES) + 1}" if i >= len(COMMUNE_NAMES) else ""
            code = f"{council.code}-X{i + 1:02d}"
            rows.append(
                (
                    code,
                    f"Hội đồng nhân dân xã {name}{suffix}",
                    f"People's Council of {name}{suffix} commune ({province})",
                    UnitKind.COMMUNE_COUNCIL,
                )
            )
        existing = set(
            Unit.objects.filter(code__in=[r[0] for r in rows]).values_list("code", flat=True)
        )
        units.bulk_create_children(council, [r for r in rows if r[0] not in existing])
    return list(Unit.objects.filter(kind=UnitKind.COMMUNE_COUNCIL).order_by("path"))


def _group_sizes(n: int) -> dict[str, int]:
    deputies = min(500, n // 20)
    officials = min(8000, n // 10)
    provincial = min(34 * 90, n // 10)
    return {
        "na_deputy": deputies,
        "na_official": officials,
        "provincial_council": provincial,
        "commune_council": n - deputies - officials - provincial,
    }


def _names(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    weights = np.array([w for _, w in SURNAMES], dtype=float)
    surname = rng.choice(len(SURNAMES), n, p=weights / weights.sum())
    female = rng.random(n) < 0.45
    middle = rng.integers(0, 10, n)
    given = rng.integers(0, 25, n)
    names = []
    for s, f, m, g in zip(surname, female, middle, given, strict=True):
        sex = "female" if f else "male"
        names.append(f"{SURNAMES[s][0]} {MIDDLE[sex][m]} {GIVEN[sex][g]}")
    return names, female


def _history(
    rng: np.random.Generator, n: int, group: str, pace: np.ndarray, horizon: int
) -> dict[str, np.ndarray]:
    """Day offsets (from ``since``) of each step per person; -1 = not reached by today."""
    _pos, _kind, act_mu, act_sd, to_cert, certify = GROUPS[group]
    act = rng.normal(act_mu, act_sd, n) * pace
    act = np.maximum(act, rng.uniform(0, 7, n))
    placed = act + rng.gamma(2.0, 5.0, n) * pace
    learning = placed + rng.gamma(1.5, 2.5, n)
    at_target = learning + rng.normal(to_cert * 0.75, to_cert * 0.25, n).clip(7) * pace
    certified = at_target + rng.gamma(2.0, to_cert * 0.05, n) * pace
    steps = {"activated": act, "placed": placed, "learning": learning, "at_target": at_target,
             "certified": certified}  # fmt: skip
    # Each step loses some people for good.
    drop = {"activated": 0.97, "placed": 0.96, "learning": 0.97, "at_target": certify,
            "certified": 0.97}  # fmt: skip
    alive = np.ones(n, dtype=bool)
    out: dict[str, np.ndarray] = {}
    for m, days in steps.items():
        alive &= rng.random(n) < drop[m]
        day = np.floor(days).astype(np.int64)
        out[m] = np.where(alive & (day <= horizon), day, -1)
    return out


def generate(
    *, people: int, seed: int = 1, since: date = date(2025, 9, 1), today: date | None = None,
    communes: int = COMMUNES_TOTAL, stdout: Any = None,
) -> Report:  # fmt: skip
    """Create ``people`` people with their history and refill the aggregates (see above)."""
    import time

    start_clock = time.perf_counter()
    today = today or timezone.localdate()
    horizon = (today - since).days
    if horizon < 0:
        raise ValueError("since is after today")
    user_model = get_user_model()
    prefix = f"{PREFIX}{seed}-"
    if user_model.objects.filter(username__startswith=prefix).exists():
        raise ValueError(f"a population with seed {seed} exists already (usernames {prefix}*)")
    rng = np.random.default_rng(seed)
    commune_units = ensure_tree(communes)
    by_kind: dict[str, list[Unit]] = {
        UnitKind.DELEGATION: list(Unit.objects.filter(kind=UnitKind.DELEGATION)),
        UnitKind.ASSEMBLY_BODY: list(Unit.objects.filter(kind=UnitKind.ASSEMBLY_BODY)),
        UnitKind.PROVINCIAL_COUNCIL: list(Unit.objects.filter(kind=UnitKind.PROVINCIAL_COUNCIL)),
        UnitKind.COMMUNE_COUNCIL: commune_units,
    }
    # Unit pace: NA units keep time; communes vary, one in ten lags far behind.
    password = UNUSABLE_PASSWORD_PREFIX + "generated-population-no-login"
    # Everyone is on the rolls from the day the campaign starts (local midnight).
    joined = timezone.make_aware(datetime(since.year, since.month, since.day))
    counter = 0
    for group, size in _group_sizes(people).items():
        if size <= 0:
            continue
        position, kind, *_ = GROUPS[group]
        pool = by_kind[kind]
        unit_pace = rng.lognormal(0.0, 0.25, len(pool))
        if kind == UnitKind.COMMUNE_COUNCIL:
            unit_pace[rng.random(len(pool)) < 0.1] *= 2.2
        which = rng.integers(0, len(pool), size)
        pace = unit_pace[which]
        history = _history(rng, size, group, pace, horizon)
        names, female = _names(rng, size)
        for lo in range(0, size, 20000):
            hi = min(size, lo + 20000)
            batch = [
                user_model(
                    username=f"{prefix}{counter + i}",
                    password=password,
                    full_name=names[i],
                    gender="female" if female[i] else "male",
                    unit_id=pool[which[i]].pk,
                    position=position,
                    job_role=group,
                    date_joined=joined,
                )
                for i in range(lo, hi)
            ]
            with transaction.atomic():
                created = user_model.objects.bulk_create(batch, batch_size=5000)
                _write_statuses(created, pool, which[lo:hi], history, lo, since, rng)
            counter += hi - lo
            if stdout is not None:
                stdout.write(f"  {counter:,} people")
    rows = rebuild_unit_days_fast()
    return Report(
        people=counter,
        units=Unit.objects.count(),
        unit_days=rows,
        seconds=time.perf_counter() - start_clock,
    )


def _write_statuses(
    created: list[Any],
    pool: list[Unit],
    which: np.ndarray,
    history: dict[str, np.ndarray],
    offset: int,
    since: date,
    rng: np.random.Generator,
) -> None:
    def day(m: str, i: int) -> date | None:
        d = int(history[m][offset + i])
        return since + timedelta(days=d) if d >= 0 else None

    rows = []
    for i, user in enumerate(created):
        unit = pool[which[i]]
        dates = {m: day(m, i) for m in MEASURES if m != "people"}
        placed, at_target = dates["placed"], dates["at_target"]
        gaps = None if placed is None else 0 if at_target is not None else int(rng.integers(1, 9))
        reached = [d for d in dates.values() if d is not None]
        last = max(reached) if reached else None
        if dates["learning"] is not None and at_target is None and rng.random() < 0.7:
            last = max(last or since, since + timedelta(days=int(rng.integers(0, 30))))
        rows.append(
            PersonStatus(
                person_id=user.pk,
                unit_id=unit.pk,
                unit_path=unit.path,
                counted=True,
                full_name=user.full_name,
                name_folded=fold(user.full_name),
                job_role=user.job_role,
                since=since,
                activated_on=dates["activated"],
                placed_on=placed,
                learning_on=dates["learning"],
                at_target_on=at_target,
                certified_on=dates["certified"],
                gaps=gaps,
                last_activity=last,
            )
        )
    # The users' post_save never ran (bulk_create): these are the first status rows.
    if connection.vendor == "postgresql":
        copy_rows(
            "campaigns_personstatus",
            [
                "person_id",
                "unit_id",
                "unit_path",
                "counted",
                "full_name",
                "name_folded",
                "job_role",
                "since",
                "activated_on",
                "placed_on",
                "learning_on",
                "at_target_on",
                "certified_on",
                "gaps",
                "last_activity",
                "updated_at",
            ],
            (
                (
                    r.person_id,
                    r.unit_id,
                    r.unit_path,
                    r.counted,
                    r.full_name,
                    r.name_folded,
                    r.job_role,
                    r.since,
                    r.activated_on,
                    r.placed_on,
                    r.learning_on,
                    r.at_target_on,
                    r.certified_on,
                    r.gaps,
                    r.last_activity,
                    timezone.now(),
                )
                for r in rows
            ),
        )
    else:
        PersonStatus.objects.bulk_create(rows, batch_size=5000)


def ensure_campaigns(actor: Any = None, *, since: date = date(2025, 9, 1)) -> list[Campaign]:
    """The National Assembly campaign (40% certified by 2025-12-31, 100% by 2026-12-31) and
    the People's Councils campaign, when missing (idempotent)."""
    from hocvu.campaigns.services import TargetSpec, create_campaign
    from hocvu.content.services import default_program

    program = default_program()
    if program is None:
        return []
    made = []
    plans = [
        ("QH", "Quốc hội số – Bình dân học vụ số", date(2026, 12, 31),
         [(date(2025, 12, 31), "0.40"), (date(2026, 12, 31), "1.00")]),
        ("HDND", "Bình dân học vụ số – Hội đồng nhân dân các cấp", date(2027, 6, 30),
         [(date(2026, 6, 30), "0.40"), (date(2026, 12, 31), "0.70"), (date(2027, 6, 30), "1.00")]),
    ]  # fmt: skip
    for code, title, deadline, targets in plans:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            continue
        existing = Campaign.objects.filter(unit=unit, program=program).first()
        if existing is not None:
            made.append(existing)
            continue
        made.append(
            create_campaign(
                actor=actor,
                program=program,
                unit=unit,
                title=title,
                starts_on=since,
                deadline=deadline,
                targets=[TargetSpec(by_date=d, share=Decimal(s)) for d, s in targets],
            )
        )
    return made
