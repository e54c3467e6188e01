"""Backfill windows: which publication dates a backfill re-ingests (pure functions).

``newsflow backfill --from DATE --to DATE`` runs the nightly flow with ``published_from`` and
``published_to``; articles published outside the window are dropped after cleaning.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterable, Sequence, TypeVar

from tasks.errors import ConfigError
from tasks.records import Article, RawDocument

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T = TypeVar("T")


def parse_day(value: str, what: str) -> date:
    """An ISO date (YYYY-MM-DD), or a one-line ConfigError naming the option."""
    text = (value or "").strip()
    try:
        if not ISO_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} must be a date as YYYY-MM-DD, not {value!r}") from None


def parse_window(start: str, end: str) -> tuple[str, str]:
    """The window [start, end] (inclusive) as ISO dates; ConfigError when a date is bad or the
    window is reversed."""
    a, b = parse_day(start, "--from"), parse_day(end, "--to")
    if a > b:
        raise ConfigError(f"--from {a.isoformat()} is after --to {b.isoformat()}: the window is empty")
    return a.isoformat(), b.isoformat()


def in_window(published: str | None, start: str | None, end: str | None) -> bool:
    """Whether a publication date (ISO date or datetime, as ``Article.published``) lies in the
    inclusive window; an open end does not limit. An article with no date, or a date that cannot be
    read, is outside any window with an end."""
    if start is None and end is None:
        return True
    day = (published or "")[:10]
    if not ISO_DATE.match(day):
        return False
    return (start is None or day >= start) and (end is None or day <= end)


def split_by_window(items: Iterable[T], published_of, start: str | None, end: str | None) -> tuple[list[T], list[T]]:
    """(inside, outside) the window, each in the given order."""
    inside: list[T] = []
    outside: list[T] = []
    for item in items:
        (inside if in_window(published_of(item), start, end) else outside).append(item)
    return inside, outside


def window_only(docs: Sequence[RawDocument], articles: Sequence[Article], start: str | None,
                end: str | None) -> tuple[list[RawDocument], list[Article]]:
    """The articles published in the window, and only the documents they came from: the others
    are not stored, so a later backfill of another window still finds them new."""
    inside, _ = split_by_window(articles, lambda a: a.published, start, end)
    keep = {a.raw_id for a in inside}
    return [d for d in docs if d.raw_id in keep], inside
