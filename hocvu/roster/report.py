"""The problems of an import as CSV: ``row,column,level,message``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from hocvu.roster.checks import FORMULA_STARTS


def _safe(value: object) -> str:
    # Column names and values come from the uploaded file: never hand a formula back.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def problem_csv(lines: Iterable[tuple[int, str, str, str]]) -> bytes:
    """UTF-8 with a BOM so that Excel shows the Vietnamese text; row 0 (the file) is blank."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "level", "message"])
    for row, column, level, message in lines:
        writer.writerow([row or "", _safe(column), level, _safe(message)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
