"""Content constraints of an adaptive test: item-count bounds per area and competence."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hocvu.psychometrics.cat.bank import ItemBank

__all__ = ["Blueprint"]


@dataclass(frozen=True)
class Blueprint:
    """Content constraints: item-count bounds per area and per competence.

    Parameters
    ----------
    area_min, area_max : tuple of int
        Bounds on the number of items per area (indexed like ``bank.area_codes``).
    competence_min, competence_max : tuple of int
        Bounds per competence (indexed like ``bank.competence_codes``).

    Notes
    -----
    Minimums are *hard*: the test does not stop on precision until they are met, and
    when the remaining length only just covers them, only the areas/competences that
    still need items are eligible. Maximums are hard caps. Target proportions can be
    turned into bounds with :meth:`from_proportions`.
    """

    area_min: tuple[int, ...]
    area_max: tuple[int, ...]
    competence_min: tuple[int, ...]
    competence_max: tuple[int, ...]

    @classmethod
    def balanced(
        cls,
        bank: ItemBank,
        *,
        min_per_area: int = 0,
        max_per_area: int | None = None,
        min_per_competence: int = 0,
        max_per_competence: int | None = None,
    ) -> Blueprint:
        """The same bounds for every area and every competence (``None`` = no maximum)."""
        big = 10**6
        return cls(
            area_min=(min_per_area,) * bank.n_areas,
            area_max=(big if max_per_area is None else max_per_area,) * bank.n_areas,
            competence_min=(min_per_competence,) * bank.n_competences,
            competence_max=(big if max_per_competence is None else max_per_competence,)
            * bank.n_competences,
        )

    @classmethod
    def from_proportions(
        cls, bank: ItemBank, proportions: Mapping[str, float], length: int, slack: int = 1
    ) -> Blueprint:
        """Area bounds from target proportions of a test of ``length`` items.

        Area ``a`` gets ``floor(p_a * length) - slack`` to ``ceil(p_a * length) + slack``
        items (clipped at zero); competences are unconstrained.
        """
        missing = set(bank.area_codes) - set(proportions)
        if missing:
            raise ValueError(f"proportions missing for areas {sorted(missing)}")
        total = sum(proportions[c] for c in bank.area_codes)
        if total <= 0 or any(proportions[c] < 0 for c in bank.area_codes):
            raise ValueError("proportions must be non-negative with a positive sum")
        lo, hi = [], []
        for code in bank.area_codes:
            x = proportions[code] / total * length
            lo.append(max(0, math.floor(x) - slack))
            hi.append(math.ceil(x) + slack if proportions[code] > 0 else 0)
        big = 10**6
        return cls(
            area_min=tuple(lo),
            area_max=tuple(hi),
            competence_min=(0,) * bank.n_competences,
            competence_max=(big,) * bank.n_competences,
        )

    def validate(self, bank: ItemBank, max_length: int) -> None:
        """Check the blueprint against a bank and a maximum test length.

        Raises
        ------
        ValueError
            If lengths do not match the bank, a minimum exceeds its maximum or the items
            available, or the minimums cannot fit in ``max_length`` items.
        """
        if len(self.area_min) != bank.n_areas or len(self.area_max) != bank.n_areas:
            raise ValueError("blueprint area bounds do not match the bank's areas")
        if (
            len(self.competence_min) != bank.n_competences
            or len(self.competence_max) != bank.n_competences
        ):
            raise ValueError("blueprint competence bounds do not match the bank's competences")
        bounds = (
            *zip(self.area_min, self.area_max, strict=True),
            *zip(self.competence_min, self.competence_max, strict=True),
        )
        for lo, hi in bounds:
            if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 0 or hi < lo:
                raise ValueError("blueprint bounds must be integers with 0 <= min <= max")
        counts = bank.competence_counts()
        for k, lo in enumerate(self.competence_min):
            if lo > counts[k]:
                raise ValueError(
                    f"competence {bank.competence_codes[k]!r} needs {lo} items "
                    f"but the bank has {counts[k]}"
                )
        need = sum(self.effective_area_min(bank))
        if need > max_length:
            raise ValueError(
                f"blueprint minimums need {need} items, more than max_length={max_length}"
            )

    def effective_area_min(self, bank: ItemBank) -> list[int]:
        """Per-area minimum implied by the area and competence minimums."""
        comp_need = [0] * bank.n_areas
        for k, lo in enumerate(self.competence_min):
            comp_need[int(bank.competence_area[k])] += lo
        return [max(x, y) for x, y in zip(self.area_min, comp_need, strict=True)]

    def to_dict(self, bank: ItemBank) -> dict[str, Any]:
        """JSON-able form keyed by area and competence codes."""
        return {
            "areas": {
                code: [self.area_min[i], self.area_max[i]] for i, code in enumerate(bank.area_codes)
            },
            "competences": {
                code: [self.competence_min[i], self.competence_max[i]]
                for i, code in enumerate(bank.competence_codes)
            },
        }

    @classmethod
    def from_dict(cls, bank: ItemBank, data: Mapping[str, Any]) -> Blueprint:
        """Inverse of :meth:`to_dict`; codes absent from ``data`` are unconstrained."""
        big = 10**6
        try:
            areas = data.get("areas", {})
            comps = data.get("competences", {})
            a_b = [tuple(int(v) for v in areas.get(code, (0, big))) for code in bank.area_codes]
            c_b = [
                tuple(int(v) for v in comps.get(code, (0, big))) for code in bank.competence_codes
            ]
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"invalid blueprint: {exc}") from exc
        if any(len(t) != 2 for t in a_b + c_b):
            raise ValueError("invalid blueprint: each bound must be [min, max]")
        return cls(
            area_min=tuple(t[0] for t in a_b),
            area_max=tuple(t[1] for t in a_b),
            competence_min=tuple(t[0] for t in c_b),
            competence_max=tuple(t[1] for t in c_b),
        )
