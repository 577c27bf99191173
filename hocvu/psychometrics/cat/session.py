"""One learner's adaptive test: item selection, stopping, results and JSON state."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hocvu.psychometrics.cat.bank import ItemBank
from hocvu.psychometrics.cat.blueprint import Blueprint
from hocvu.psychometrics.cat.config import (
    AreaEstimate,
    CATConfig,
    CATResult,
    CompetenceEstimate,
    StopReason,
)

__all__ = ["AdaptiveSession"]

_STATE_VERSION = 1


def _check_score(score: object) -> int:
    if isinstance(score, bool | np.bool_):
        return int(score)
    if isinstance(score, int | np.integer) and int(score) in (0, 1):
        return int(score)
    if isinstance(score, float | np.floating) and float(score) in (0.0, 1.0):
        return int(score)
    raise ValueError(f"score must be 0 or 1 (or a bool), got {score!r}")


class AdaptiveSession:
    """One learner's adaptive placement test.

    Create with :meth:`start`, then alternate :meth:`next_item` and :meth:`answer` until
    :meth:`next_item` returns ``None``. Between web requests keep :meth:`to_json` and
    resume with :meth:`from_json`; the continuation is identical.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> comps = [f"{a}.{k}" for a in range(1, 7) for k in range(1, 5)]
    >>> comp = [comps[i % 24] for i in range(480)]
    >>> bank = ItemBank.create([f"q{i}" for i in range(480)], rng.uniform(0.8, 2, 480),
    ...                        rng.normal(0, 1, 480), np.zeros(480), comp, np.ones(480))
    >>> s = AdaptiveSession.start(bank, seed=7)
    >>> item = s.next_item()
    >>> s.answer(item, 1)
    >>> s2 = AdaptiveSession.from_json(bank, s.to_json())
    >>> s2.next_item() == s.next_item()
    True
    """

    __slots__ = (
        "_area_def",
        "_avail",
        "_blocked",
        "_buf",
        "_comp_def",
        "_comp_ll",
        "_competence_ids",
        "_config",
        "_counts_area",
        "_counts_comp",
        "_decided",
        "_excluded",
        "_ineligible",
        "_items",
        "_left_area",
        "_left_comp",
        "_logpost",
        "_logprior",
        "_lw",
        "_mean",
        "_moments",
        "_relaxed",
        "_responses",
        "_sc1",
        "_sc2",
        "_sd",
        "_seed",
        "_stop",
        "_top_prob",
        "_total_def",
        "_usable",
        "bank",
        "blueprint",
    )

    def __init__(
        self,
        bank: ItemBank,
        *,
        config: CATConfig,
        blueprint: Blueprint,
        seed: int,
        excluded: Iterable[int],
        ineligible: Iterable[int],
        blocked: Iterable[int],
    ) -> None:
        # Low-level constructor: use start() or from_json().
        bank._validated(blueprint, config.max_length)
        self.bank = bank
        self.blueprint = blueprint
        self._config = config
        self._seed = int(seed)
        n, g = bank.n_items, bank.theta_grid.size
        self._excluded = sorted(set(excluded))
        self._ineligible = sorted(set(ineligible))
        self._blocked = sorted(set(blocked))
        for name, idx in (
            ("excluded", self._excluded),
            ("ineligible", self._ineligible),
            ("blocked", self._blocked),
        ):
            if idx and (idx[0] < 0 or idx[-1] >= n):
                raise ValueError(f"{name} item index out of range")
        pos = bank.position
        self._usable = np.ones(n)
        self._usable[pos[self._excluded]] = 0.0
        self._usable[pos[self._blocked]] = 0.0
        self._avail = self._usable.copy()
        self._avail[pos[self._ineligible]] = 0.0
        grid = bank.theta_grid
        self._logprior = -0.5 * ((grid - config.prior_mean) / config.prior_sd) ** 2
        self._logpost = np.tile(self._logprior, (bank.n_areas, 1))
        self._comp_ll = np.zeros((bank.n_competences, g))
        self._lw = bank._level_weights(config.cuts)
        self._moments = bank._moment_matrix(config.cuts)
        self._buf = np.empty(g)
        widest = max(
            (bank.area_bounds[i + 1] - bank.area_bounds[i] for i in range(bank.n_areas)),
            default=1,
        )
        self._sc1 = np.empty(max(widest, 1))
        self._sc2 = np.empty(max(widest, 1))
        self._items: list[int] = []
        self._responses: list[int] = []
        self._counts_area = [0] * bank.n_areas
        self._counts_comp = [0] * bank.n_competences
        self._left_area: list[int] = np.bincount(
            bank.area[self._usable[pos] > 0], minlength=bank.n_areas
        ).tolist()
        self._left_comp: list[int] = np.bincount(
            bank.competence[self._usable[pos] > 0], minlength=bank.n_competences
        ).tolist()
        self._mean = [0.0] * bank.n_areas
        self._sd = [0.0] * bank.n_areas
        self._top_prob = [0.0] * bank.n_areas
        self._decided: list[int | None] = [None] * bank.n_areas
        self._competence_ids = bank._area_competences()
        self._comp_def = [self._deficit_of_competence(k) for k in range(bank.n_competences)]
        self._area_def = [self._deficit_of_area(a) for a in range(bank.n_areas)]
        self._total_def = sum(self._area_def)
        self._relaxed = 0
        self._stop: StopReason | None = None
        self._refresh(0)
        for area in range(1, bank.n_areas):
            self._mean[area] = self._mean[0]
            self._sd[area] = self._sd[0]
            self._top_prob[area] = self._top_prob[0]
            self._decided[area] = self._decided[0]

    # -- construction -------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        bank: ItemBank,
        *,
        seed: int,
        config: CATConfig | None = None,
        blueprint: Blueprint | None = None,
        exclude: Iterable[str] = (),
        exposure_counts: Mapping[str, int] | None = None,
        exposure_sessions: int = 0,
    ) -> AdaptiveSession:
        """Start a new session.

        Parameters
        ----------
        bank : ItemBank
        seed : int
            Seeds the Sympson-Hetter eligibility draw; the same seed and answers replay
            the same test.
        config : CATConfig, optional
        blueprint : Blueprint, optional
            Default: no constraints beyond ``config.max_length``.
        exclude : iterable of str
            Item ids the learner has already seen (earlier attempts); never
            administered. Ids unknown to the bank (retired items) are ignored.
        exposure_counts : mapping of str to int, optional
            How many earlier sessions administered each item (absent ids count 0).
        exposure_sessions : int
            How many sessions those counts cover. Once it reaches
            ``config.exposure_burn_in``, item ``i`` is blocked for this session when
            ``(count_i + 1) / (exposure_sessions + 1) > config.exposure_cap``. Fed with the
            running counts, this keeps every item's exposure rate at or below the cap
            (after the burn-in sessions have drained) whatever the learner population.

        Returns
        -------
        AdaptiveSession
        """
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError("seed must be a non-negative integer")
        cfg = config if config is not None else CATConfig()
        bp = blueprint if blueprint is not None else Blueprint.balanced(bank)
        if isinstance(exclude, str):
            raise ValueError("exclude must be an iterable of item ids, not a string")
        excluded = [bank.index_of[x] for x in exclude if x in bank.index_of]
        blocked: list[int] = []
        if exposure_counts is not None:
            if isinstance(exposure_sessions, bool) or exposure_sessions < 0:
                raise ValueError("exposure_sessions must be a non-negative integer")
            if exposure_sessions >= cfg.exposure_burn_in:
                limit = cfg.exposure_cap * (exposure_sessions + 1) - 1.0
                for item_id, count in exposure_counts.items():
                    if isinstance(count, bool) or not isinstance(count, int | np.integer):
                        raise ValueError(f"invalid exposure count {count!r} for {item_id!r}")
                    if not 0 <= count <= exposure_sessions:
                        raise ValueError(f"exposure count of {item_id!r} out of range")
                    if count > limit + 1e-9 and item_id in bank.index_of:
                        blocked.append(bank.index_of[item_id])
        u = np.random.default_rng(int(seed)).random(bank.n_items)
        ineligible = np.flatnonzero(u >= bank.k).tolist()
        return cls(
            bank,
            config=cfg,
            blueprint=bp,
            seed=int(seed),
            excluded=excluded,
            ineligible=ineligible,
            blocked=blocked,
        )

    # -- properties ---------------------------------------------------------------------

    @property
    def config(self) -> CATConfig:
        """The session's configuration."""
        return self._config

    @property
    def seed(self) -> int:
        """The session seed."""
        return self._seed

    @property
    def n_administered(self) -> int:
        """Items administered so far (including one awaiting its answer)."""
        return len(self._items)

    @property
    def pending_item(self) -> str | None:
        """The id of the item awaiting an answer, if any."""
        if len(self._items) > len(self._responses):
            return self.bank.ids[self._items[-1]]
        return None

    @property
    def administered_ids(self) -> tuple[str, ...]:
        """Ids of the items administered so far, in order."""
        ids = self.bank.ids
        return tuple(ids[i] for i in self._items)

    @property
    def responses(self) -> tuple[int, ...]:
        """Scored answers so far."""
        return tuple(self._responses)

    @property
    def stop_reason(self) -> StopReason | None:
        """Why the test ended, or ``None`` while running."""
        return self._stop

    @property
    def finished(self) -> bool:
        """Whether the test has ended (evaluates the stopping rules)."""
        if self._stop is None and self.pending_item is None:
            self._stop = self._check_stop()
        return self._stop is not None

    def theta(self, area: int) -> tuple[float, float]:
        """EAP and posterior SD of an area (by index)."""
        return self._mean[area], self._sd[area]

    # -- the adaptive step ---------------------------------------------------------------

    def next_item(self) -> str | None:
        """Select the next item, or return ``None`` when the test has ended.

        Calling it again before answering returns the same pending item.
        """
        i = self.next_index()
        return None if i is None else self.bank.ids[i]

    def next_index(self) -> int | None:
        """Like :meth:`next_item` but returns the bank index."""
        if len(self._items) > len(self._responses):
            return self._items[-1]
        if self._stop is not None:
            return None
        stop = self._check_stop()
        if stop is not None:
            self._stop = stop
            return None
        i = self._select()
        if i is None:
            self._stop = StopReason.BANK_EXHAUSTED
            return None
        self._administer(i)
        return i

    def answer(self, item_id: str, score: object) -> None:
        """Record the answer to the pending item.

        Parameters
        ----------
        item_id : str
            Must be the item returned by the last :meth:`next_item`.
        score : bool or {0, 1}

        Raises
        ------
        ValueError
            If no item is pending, ``item_id`` is not the pending item, or the score is
            not 0/1.
        """
        pending = self.pending_item
        if pending is None:
            raise ValueError("no item is awaiting an answer")
        if item_id != pending:
            raise ValueError(
                f"answer to item {item_id!r}, but the administered item is {pending!r}"
            )
        self._record(self._items[-1], _check_score(score))

    def answer_index(self, index: int, score: object) -> None:
        """Like :meth:`answer` with the bank index of the item."""
        if len(self._items) == len(self._responses):
            raise ValueError("no item is awaiting an answer")
        if index != self._items[-1]:
            raise ValueError(
                f"answer to item index {index}, but the administered item is {self._items[-1]}"
            )
        self._record(index, _check_score(score))

    # -- internals ----------------------------------------------------------------------

    def _administer(self, i: int) -> None:
        bank = self.bank
        p = bank.position[i]
        self._avail[p] = 0.0
        self._usable[p] = 0.0
        a = int(bank.area[i])
        k = int(bank.competence[i])
        self._counts_area[a] += 1
        self._counts_comp[k] += 1
        self._left_area[a] -= 1
        self._left_comp[k] -= 1
        self._comp_def[k] = self._deficit_of_competence(k)
        self._total_def -= self._area_def[a]
        self._area_def[a] = self._deficit_of_area(a)
        self._total_def += self._area_def[a]
        self._items.append(i)

    def _record(self, i: int, u: int) -> None:
        bank = self.bank
        row = bank.logp_table[i] if u else bank.logq_table[i]
        a = int(bank.area[i])
        lp = self._logpost[a]
        lp += row
        lp -= lp.max()
        self._comp_ll[int(bank.competence[i])] += row
        self._responses.append(u)
        self._refresh(a)

    def _refresh(self, a: int) -> None:
        w = self._buf
        np.exp(self._logpost[a], out=w)
        # One product gives the mass, the first two moments and the level masses.
        s, s1, s2, *mass = w.dot(self._moments).tolist()
        m = s1 / s
        self._mean[a] = m
        self._sd[a] = math.sqrt(max(s2 / s - m * m, 0.0))
        top_mass = max(mass)
        top = mass.index(top_mass)
        p = top_mass / s
        self._top_prob[a] = p
        conf = self._config.level_confidence
        self._decided[a] = top + 1 if conf is not None and p >= conf else None

    def _deficit_of_competence(self, k: int) -> int:
        lo = self.blueprint.competence_min[k]
        return min(max(0, lo - self._counts_comp[k]), self._left_comp[k])

    def _deficit_of_area(self, a: int) -> int:
        own = min(max(0, self.blueprint.area_min[a] - self._counts_area[a]), self._left_area[a])
        from_comp = sum(self._comp_def[k] for k in self._competence_ids[a])
        return max(own, from_comp)

    def _area_open(self, a: int) -> bool:
        return self._left_area[a] > 0 and self._counts_area[a] < self.blueprint.area_max[a]

    def _satisfied(self, a: int) -> str | None:
        cfg = self._config
        if cfg.se_target is not None and self._sd[a] <= cfg.se_target:
            return "se"
        if self._decided[a] is not None:
            return "level"
        return None

    def _check_stop(self) -> StopReason | None:
        cfg = self._config
        t = len(self._items)
        if t >= cfg.max_length:
            return StopReason.MAX_LENGTH
        if not any(self._left_area):
            return StopReason.BANK_EXHAUSTED
        if t < cfg.min_length:
            return None
        if self._total_def > 0:
            return None
        kinds = set()
        for a in range(self.bank.n_areas):
            how = self._satisfied(a)
            if how is None:
                if self._area_open(a):
                    return None
                how = "limits"
            kinds.add(how)
        if kinds == {"se"}:
            return StopReason.SE_TARGET
        if kinds == {"level"}:
            return StopReason.LEVEL_DECIDED
        if "limits" in kinds:
            return StopReason.LIMITS
        return StopReason.PRECISION

    def _select(self) -> int | None:
        bank = self.bank
        remaining = self._config.max_length - len(self._items)
        area_def, comp_def = self._area_def, self._comp_def
        forced = self._total_def >= remaining
        candidates = []
        for a in range(bank.n_areas):
            if not self._area_open(a) or (forced and area_def[a] == 0):
                continue
            unmet = 0 if area_def[a] > 0 else 1
            done = 0 if self._satisfied(a) is None else 1
            candidates.append((unmet, done, -self._sd[a], a))
        candidates.sort()
        for *_, a in candidates:
            i = self._select_in_area(a, remaining, area_def[a], comp_def, forced)
            if i is not None:
                return i
        return None

    def _select_in_area(
        self, a: int, remaining: int, area_def: int, comp_def: list[int], forced: bool
    ) -> int | None:
        bank = self.bank
        bp = self.blueprint
        comps = self._competence_ids[a]
        slots = min(bp.area_max[a] - self._counts_area[a], remaining)
        comp_need = sum(comp_def[k] for k in comps)
        only_deficit = comp_need > 0 and (comp_need >= slots or (forced and comp_need >= area_def))
        factors: NDArray[np.float64] | None = None
        boost = 1.0 + self._config.competence_boost
        for k in comps:
            if self._counts_comp[k] >= bp.competence_max[k]:
                f = 0.0
            elif comp_def[k] > 0:
                f = boost
            else:
                f = 0.0 if only_deficit else 1.0
            if f != 1.0:
                if factors is None:
                    factors = np.ones(bank.n_competences)
                factors[k] = f

        s, e = bank.area_bounds[a], bank.area_bounds[a + 1]
        m = e - s
        grid = bank.theta_grid
        h = float(grid[1] - grid[0])
        x = (self._mean[a] - float(grid[0])) / h
        gi = min(max(int(x), 0), grid.size - 2)
        t = min(max(x - gi, 0.0), 1.0)
        info = self._sc1[:m]
        tmp = self._sc2[:m]
        table = bank.info_table
        np.multiply(table[gi, s:e], 1.0 - t, out=info)
        np.multiply(table[gi + 1, s:e], t, out=tmp)
        info += tmp
        gather = None if factors is None else factors[bank.competence_sorted[s:e]]
        for mask, relaxed in ((self._avail, False), (self._usable, True)):
            np.multiply(info, mask[s:e], out=tmp)
            if gather is not None:
                tmp *= gather
            j = int(tmp.argmax())
            if tmp[j] > 0.0:
                if relaxed:
                    self._relaxed += 1
                return int(bank.order[s + j])
        return None

    # -- results --------------------------------------------------------------------------

    def result(self) -> CATResult:
        """Per-area ability, SE and level, and a level for every competence.

        Notes
        -----
        For a competence whose items were answered, its ability ``theta_k`` is modelled
        as ``theta_area + e`` with ``e ~ N(0, competence_sd**2)``: the posterior of
        ``theta_area`` from the *other* items of the area, convolved with that normal,
        is the prior of ``theta_k``, which is then updated with the competence's own
        answers (all on the grid). Competences without answered items inherit the
        area's estimate and level.
        """
        bank = self.bank
        cfg = self._config
        grid = bank.theta_grid
        areas = []
        n_area_answered = [0] * bank.n_areas
        n_comp_answered = [0] * bank.n_competences
        for i in self._items[: len(self._responses)]:
            n_area_answered[int(bank.area[i])] += 1
            n_comp_answered[int(bank.competence[i])] += 1
        for a in range(bank.n_areas):
            lp = self._logpost[a]
            w = np.exp(lp - lp.max())
            w /= w.sum()
            probs = w @ self._lw
            top = int(probs.argmax())
            areas.append(
                AreaEstimate(
                    index=a,
                    code=bank.area_codes[a],
                    theta=self._mean[a],
                    se=self._sd[a],
                    n_items=n_area_answered[a],
                    level=top + 1,
                    level_probability=float(probs[top]),
                    level_decided=self._decided[a] is not None,
                    level_probabilities=tuple(float(p) for p in probs),
                )
            )
        kernel = bank._kernel(cfg.competence_sd)
        comps = []
        for k in range(bank.n_competences):
            a = int(bank.competence_area[k])
            if n_comp_answered[k] == 0:
                ae = areas[a]
                comps.append(
                    CompetenceEstimate(
                        index=k,
                        code=bank.competence_codes[k],
                        area_code=ae.code,
                        n_items=0,
                        theta=ae.theta,
                        se=ae.se,
                        level=ae.level,
                        level_probability=ae.level_probability,
                        source="area",
                    )
                )
                continue
            other = self._logpost[a] - self._comp_ll[k]
            p_other = np.exp(other - other.max())
            prior = kernel @ p_other
            lp = np.log(np.maximum(prior, 1e-300)) + self._comp_ll[k]
            w = np.exp(lp - lp.max())
            w /= w.sum()
            mean = float(w @ grid)
            sd = math.sqrt(max(float(w @ (grid * grid)) - mean * mean, 0.0))
            probs = w @ self._lw
            top = int(probs.argmax())
            comps.append(
                CompetenceEstimate(
                    index=k,
                    code=bank.competence_codes[k],
                    area_code=bank.area_codes[a],
                    n_items=n_comp_answered[k],
                    theta=mean,
                    se=sd,
                    level=top + 1,
                    level_probability=float(probs[top]),
                    source="items",
                )
            )
        finished = self.finished
        return CATResult(
            areas=tuple(areas),
            competences=tuple(comps),
            n_items=len(self._responses),
            finished=finished,
            stop_reason=None if self._stop is None else self._stop.value,
            item_ids=tuple(bank.ids[i] for i in self._items[: len(self._responses)]),
            responses=tuple(self._responses),
            exposure_relaxed=self._relaxed,
        )

    # -- JSON state -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The session state as a plain JSON-able dict (lists, strings, numbers)."""
        ids = self.bank.ids
        return {
            "version": _STATE_VERSION,
            "bank": self.bank.fingerprint,
            "seed": self._seed,
            "config": self._config.to_dict(),
            "blueprint": self.blueprint.to_dict(self.bank),
            "exclude": [ids[i] for i in self._excluded],
            "blocked": [ids[i] for i in self._blocked],
            "ineligible": list(self._ineligible),
            "items": [ids[i] for i in self._items],
            "responses": list(self._responses),
            "stop": None if self._stop is None else self._stop.value,
            "relaxed": self._relaxed,
        }

    def to_json(self) -> str:
        """The session state as a compact JSON string."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, bank: ItemBank, data: Mapping[str, Any]) -> AdaptiveSession:
        """Resume a session from :meth:`to_dict` output.

        The posteriors are rebuilt by replaying the answers, so the stored state cannot
        drift from the answers it records.

        Raises
        ------
        ValueError
            If the state is malformed, of another version, or made with another bank.
        """
        if not isinstance(data, Mapping):
            raise ValueError("session state must be a JSON object")
        if data.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported session state version {data.get('version')!r}")
        if data.get("bank") != bank.fingerprint:
            raise ValueError("session state was created with a different item bank")
        try:
            index = bank.index_of
            items = [index[x] for x in data["items"]]
            responses = [_check_score(u) for u in data["responses"]]
            session = cls(
                bank,
                config=CATConfig.from_dict(data["config"]),
                blueprint=Blueprint.from_dict(bank, data["blueprint"]),
                seed=int(data["seed"]),
                excluded=[index[x] for x in data["exclude"]],
                ineligible=[int(i) for i in data["ineligible"]],
                blocked=[index[x] for x in data["blocked"]],
            )
            relaxed = int(data.get("relaxed", 0))
            stop = data.get("stop")
            stop_reason = None if stop is None else StopReason(stop)
        except KeyError as exc:
            raise ValueError(f"session state is missing or names an unknown item: {exc}") from exc
        except TypeError as exc:
            raise ValueError(f"malformed session state: {exc}") from exc
        if not len(items) - 1 <= len(responses) <= len(items):
            raise ValueError("session state has inconsistent items and responses")
        if len(set(items)) != len(items):
            raise ValueError("session state repeats an item")
        for n, i in enumerate(items):
            if session._usable[bank.position[i]] == 0.0:
                raise ValueError(f"session state administers excluded item {bank.ids[i]!r}")
            session._administer(i)
            if n < len(responses):
                session._record(i, responses[n])
        session._relaxed = relaxed
        session._stop = stop_reason
        return session

    @classmethod
    def from_json(cls, bank: ItemBank, s: str | bytes) -> AdaptiveSession:
        """Resume a session from :meth:`to_json` output."""
        try:
            data = json.loads(s)
        except json.JSONDecodeError as exc:
            raise ValueError(f"session state is not valid JSON: {exc}") from exc
        return cls.from_dict(bank, data)
