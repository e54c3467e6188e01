"""Quality-gate baselines (tests/data/*_gate/baseline.json) and the P/R/F1 arithmetic, shared by the
eval scripts.

A baseline keeps a floor per metric (the measured score rounded down to 2 decimals) and, for
counts that must not grow, a ceiling. Updating one only ever tightens it: a score below its floor
(or a count above its ceiling) keeps the old bound unless ``force`` is given.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterable


def floor2(x: float) -> float:
    """``x`` rounded down to 2 decimals (0.57 stays 0.57 despite binary floating point)."""
    return math.floor(round(x * 100, 6)) / 100


def prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall, F1 (None where the denominator is 0)."""
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    if p is None or r is None:
        f = None
    else:
        f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def tighten(measured: dict, old: dict, keys: Iterable[str], force: bool, *,
            ceiling: bool = False) -> tuple[dict, list[str], bool]:
    """New bounds for ``keys``: (bounds, lines saying what changed, whether a score got worse).

    Floors: ``floor2(measured)``. Ceilings (``ceiling=True``): the measured count. A key not
    measured keeps its old bound.
    """
    bounds, changes, worse = {}, [], False
    for k in keys:
        prev = old.get(k)
        if k not in measured:
            if prev is not None:
                bounds[k] = prev
            changes.append(f"{k}: not measured; {'bound ' + str(prev) + ' kept' if prev is not None else 'no bound'}")
            continue
        v = measured[k]
        new = int(v) if ceiling else floor2(v)
        if prev is not None and (new > prev if ceiling else new < prev) and not force:
            bounds[k] = prev
            worse = True
            what = f"above the ceiling {prev}" if ceiling else f"below the floor {prev:.2f}"
            changes.append(f"{k}: measured {v:.4f} is {what}; kept (use --force to change it)"
                           if not ceiling else f"{k}: measured {v} is {what}; kept (use --force to change it)")
        else:
            bounds[k] = new
            if prev != new:
                shown = f"{new}" if ceiling else f"{new:.2f} (measured {v:.4f})"
                changes.append(f"{k}: {prev if prev is not None else '–'} -> {shown}")
    return bounds, changes, worse


def write(path: Path, doc: dict, changes: list[str], shown: str) -> None:
    """Write the baseline and say what changed."""
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {shown}")
    for c in changes or ["no bound changed"]:
        print("  " + c)
