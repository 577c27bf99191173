"""Recalibrating the item bank from simulated placement answers.

2,000 simulated placement attempts (abilities ~ N(0.3, 1), i.e. not the standard normal,
so the test sees whether new items land on the anchors' scale) answer a bank of known
3PL items: calibrated operational anchors, pilot and provisional items to calibrate, and
planted bad items. The engine's ability estimate stored with each attempt is simulated
as the true ability plus noise of the engine's target standard error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Field
from django.test import Client
from django.utils import formats, timezone, translation

from hocvu.assessment import calibration
from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus, Response
from hocvu.assessment.tasks import recalibrate_bank
from hocvu.audit.models import AuditEvent
from hocvu.content import flags
from hocvu.content.models import Item, ItemStatus, ParameterSource
from tests.conftest import World

N_PERSONS = 2000
#: Recovered difficulties must lie within this distance of the truth (about three
#: standard errors for ~1,100 answers per item).
B_TOLERANCE = 0.4
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class Bank:
    anchors: list[Item]
    free: list[Item]
    too_easy: Item
    negative: Item
    rare: Item
    truth: dict[int, tuple[float, float, float]]


def _item(comp: Any, code: str, kind: str, status: str, **kw: Any) -> Item:
    options = ["A", "B", "C", "D"] if kind == "single" else []
    answer: Any = [1] if kind == "single" else {"accepted": ["đúng"]}
    return Item(
        code=code,
        competence=comp,
        level=2,
        kind=kind,
        status=status,
        stem=f"Câu {code}?",
        options=options,
        answer=answer,
        explanation="Giải thích.",
        **kw,
    )


def build_bank(world: World, rng: np.random.Generator) -> Bank:
    version = world.module.program.framework_version
    c11 = version.competences.get(code="1.1")
    c12 = version.competences.get(code="1.2")
    truth: dict[str, tuple[float, float, float]] = {}
    rows: list[Item] = []
    earlier = timezone.now() - timedelta(days=30)
    for n, b in enumerate(np.linspace(-2.0, 2.0, 16)):
        a = float(rng.uniform(0.9, 1.8))
        code = f"ANC-{n:02d}"
        truth[code] = (a, float(b), 0.25)
        rows.append(
            _item(
                c11 if n % 2 else c12,
                code,
                "single",
                ItemStatus.OPERATIONAL,
                a=a,
                b=float(b),
                c=0.25,
                parameter_source=ParameterSource.CALIBRATED,
                calibrated_at=earlier,
            )
        )
    # Free items: pilot single-choice items and provisional typed-answer items.
    for n, b in enumerate([-1.2, -0.3, 0.6, 1.4]):
        code = f"PIL-{n}"
        truth[code] = (float(rng.uniform(0.9, 1.6)), b, 0.25)
        rows.append(_item(c11, code, "single", ItemStatus.PILOT, a=1.0, b=0.0, c=0.25))
    for n, b in enumerate([-0.8, 0.2, 1.0]):
        code = f"TYP-{n}"
        truth[code] = (float(rng.uniform(0.9, 1.6)), b, 0.0)
        rows.append(_item(c12, code, "short_text", ItemStatus.OPERATIONAL, a=1.0, b=0.0))
    truth["EASY"] = (1.0, -30.0, 0.0)  # everyone right
    truth["NEG"] = (-1.2, 0.0, 0.0)  # the abler, the likelier to be wrong
    truth["RARE"] = (1.0, 0.0, 0.25)
    rows += [
        _item(c11, "EASY", "single", ItemStatus.PILOT, c=0.25),
        _item(c11, "NEG", "single", ItemStatus.PILOT, c=0.25),
        _item(c12, "RARE", "single", ItemStatus.PILOT, c=0.25),
    ]
    Item.objects.bulk_create(rows)
    items = {i.code: i for i in Item.objects.filter(code__in=truth)}
    return Bank(
        anchors=[items[f"ANC-{n:02d}"] for n in range(16)],
        free=[items[c] for c in truth if c.startswith(("PIL", "TYP"))],
        too_easy=items["EASY"],
        negative=items["NEG"],
        rare=items["RARE"],
        truth={items[c].pk: v for c, v in truth.items()},
    )


def simulate(world: World, bank: Bank, rng: np.random.Generator, n_persons: int) -> None:
    """Placement attempts and their responses, written in bulk."""
    version = world.module.program.framework_version
    theta = rng.normal(0.3, 1.0, n_persons)
    estimate = theta + rng.normal(0.0, 0.35, n_persons)
    now = timezone.now()
    attempts = [
        Attempt(
            id=uuid.uuid4(),
            learner_id=world.learner.pk,
            kind=AttemptKind.PLACEMENT,
            status=AttemptStatus.FINISHED,
            framework_version_id=version.pk,
            seed=k,
            expires_at=now,
            finished_at=now,
            result={"areas": [{"code": "1", "theta": float(estimate[k])}]},
        )
        for k in range(n_persons)
    ]
    Attempt.objects.bulk_create(attempts, batch_size=1000)
    anchors = np.array([i.pk for i in bank.anchors])
    free = np.array([i.pk for i in bank.free])
    pilot = {i.pk for i in Item.objects.filter(status=ItemStatus.PILOT)}
    persons: list[int] = []
    shown: list[int] = []
    for k in range(n_persons):
        seen = [*rng.choice(anchors, 12, replace=False), *rng.choice(free, 4, replace=False)]
        seen += [i.pk for i in (bank.too_easy, bank.negative) if rng.random() < 0.5]
        if k < 30:
            seen.append(bank.rare.pk)
        persons += [k] * len(seen)
        shown += seen
    person, item = np.array(persons), np.array(shown)
    a, b, c = (np.array([bank.truth[int(i)][n] for i in item]) for n in range(3))
    p = c + (1 - c) / (1 + np.exp(-a * (theta[person] - b)))
    score = (rng.random(p.size) < p).astype(int)
    position = np.arange(p.size) - np.searchsorted(person, person)

    # 35,000 rows: a plain executemany (with each field's own conversion, so it runs on
    # SQLite and PostgreSQL alike) takes a second where Response.objects.bulk_create
    # spends most of its time building model instances.
    def field(name: str) -> Field[Any, Any]:
        # Every name used here is one of Response's own columns (a relation or a reverse
        # relation would have no column and no get_db_prep_save).
        return cast("Field[Any, Any]", Response._meta.get_field(name))

    prep = {name: field(name).get_db_prep_save for name in ("attempt", "answer_id")}
    constant = [
        field("answer").get_db_prep_save({}, connection),
        field("answered_at").get_db_prep_save(now, connection),
        field("received_at").get_db_prep_save(now, connection),
    ]
    attempt_ids = [prep["attempt"](att.id, connection) for att in attempts]
    rows = [
        (
            attempt_ids[person[n]],
            int(item[n]),
            prep["answer_id"](uuid.uuid4(), connection),
            int(score[n]),
            int(item[n]) not in pilot,
            int(position[n]),
            *constant,
        )
        for n in range(p.size)
    ]
    columns = [
        field(name).column
        for name in ("attempt", "item", "answer_id", "score", "scored", "position")
    ] + [field(name).column for name in ("answer", "answered_at", "received_at")]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(Response._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def simulated_bank(world: World, n_persons: int) -> Bank:
    rng = np.random.default_rng(20260415)
    bank = build_bank(world, rng)
    simulate(world, bank, rng, n_persons)
    return bank


@pytest.mark.django_db
def test_recalibration_recovers_parameters_and_flags_bad_items(world: World, settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    bank = simulated_bank(world, N_PERSONS)
    before = {i.pk: (i.a, i.b, i.c, i.calibrated_at) for i in bank.anchors}
    version = world.module.program.framework_version

    result = recalibrate_bank.enqueue(version.pk)
    assert result.is_finished and result.errors == []
    report = result.return_value
    assert report is not None

    # Pilot and provisional items now carry parameters estimated from the answers,
    # on the anchors' scale (abilities were simulated with mean 0.3, and it shows).
    errors = []
    for item in bank.free:
        item.refresh_from_db()
        _a, b, c = bank.truth[item.pk]
        assert item.parameter_source == ParameterSource.CALIBRATED, item.code
        assert item.calibrated_at is not None and item.se_b is not None
        assert abs(item.b - b) < B_TOLERANCE, (item.code, item.b, b)
        assert abs(item.c - c) < 0.1, (item.code, item.c, c)
        errors.append(item.b - b)
        assert item.n_responses > 1000
    assert np.mean(np.abs(errors)) < 0.2
    assert all(0.15 < run["latent_mean"] < 0.45 for run in report["areas"]["1"]["runs"])

    # Fixed items never move.
    for item in bank.anchors:
        item.refresh_from_db()
        assert (item.a, item.b, item.c, item.calibrated_at) == before[item.pk]
        assert item.n_responses > 500 and item.discrimination is not None
        assert item.discrimination > calibration.LOW_DISCRIMINATION
        assert item.exposure is not None and 0.5 < item.exposure < 1.0

    # Planted bad items are flagged and keep their provisional parameters.
    easy, neg, rare = bank.too_easy, bank.negative, bank.rare
    for item in (easy, neg, rare):
        item.refresh_from_db()
        assert item.parameter_source == ParameterSource.PROVISIONAL, item.code
    assert easy.p_value == 1.0 and flags.TOO_EASY in easy.flags
    assert neg.discrimination is not None
    assert neg.discrimination < 0 and flags.NEGATIVE_DISCRIMINATION in neg.flags
    assert rare.n_responses == 30 and flags.FEW in rare.flags
    assert rare.code in report["too_few_responses"] and neg.code in report["excluded"]
    assert rare.exposure == pytest.approx(30 / N_PERSONS)
    for item in bank.free:
        assert not set(item.flags) & {flags.NEGATIVE_DISCRIMINATION, flags.FEW}

    event = AuditEvent.objects.filter(action="bank.recalibrate").get()
    assert sorted(event.data["calibrated"]) == sorted(i.code for i in bank.free)

    # The authoring screen shows the statistics.
    client = Client()
    client.force_login(world.author)
    page = client.get("/admin/content/item/?status__exact=pilot")
    assert page.status_code == 200
    html = page.content.decode()
    pil = Item.objects.get(code="PIL-0")
    # The recalibration above gave every pilot item its statistics (casts for the checker).
    p_value, discrimination = cast(float, pil.p_value), cast(float, pil.discrimination)
    with translation.override("vi"):
        assert formats.number_format(p_value, 2) in html
        assert formats.number_format(discrimination, 2) in html
        assert formats.number_format(pil.b, 2) in html
    assert "PIL-0" in html and "ANC-00" not in html  # filtered to pilot items
    flagged = client.get("/admin/content/item/?flag=negative_discrimination").content.decode()
    assert "NEG" in flagged and "PIL-0" not in flagged

    # Once operational, a calibrated item is an anchor: later runs never move it.
    pilot = Item.objects.get(code="PIL-1")
    pilot.status = ItemStatus.OPERATIONAL
    pilot.save(update_fields=["status"])
    kept = (pilot.a, pilot.b, pilot.c, pilot.calibrated_at)
    report = calibration.recalibrate(version.pk, min_n=1)
    pilot.refresh_from_db()
    assert (pilot.a, pilot.b, pilot.c, pilot.calibrated_at) == kept
    assert "PIL-1" not in report["calibrated"] and "PIL-0" in report["calibrated"]


@pytest.mark.django_db
def test_the_command_enqueues_or_runs_now(world: World, capsys: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    simulated_bank(world, 400)

    version = world.module.program.framework_version
    call_command("recalibrate", "--version", str(version.pk))
    assert DBTaskResult.objects.count() == 1
    assert Item.objects.get(code="PIL-0").parameter_source == ParameterSource.PROVISIONAL
    call_command("recalibrate", "--version", str(version.pk), "--min-n", "100", "--now")
    assert '"calibrated"' in capsys.readouterr().out
    assert Item.objects.get(code="PIL-0").parameter_source == ParameterSource.CALIBRATED
