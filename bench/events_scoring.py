"""How events are scored: shared by ``bench/eval_events.py`` and ``tests/test_events_quality.py``.

Both import everything from here (loading the three gold sets, running ``tasks.events.extract_events``,
matching predicted to gold events, P/R/F1, attribute accuracy, the seed "exactly right" check), so the
eval and the CI gate cannot drift apart. Everything is a plain function; only ``predict_*`` and
``measure_speed`` run the extractor.

The gold is ``../shared/gold/events`` (see its README.md and SEEDS_ANNOTATION.md):

- ``petr2_gsr_validation.jsonl``: 78 AFP sentences, CAMEO-coded, mapped to PLOVER in ``plover``;
  actors are CAMEO codes (``USAGOV``, ``IGOUNO``, ``---REB``); 12 ``no_events_expected``;
- ``seed_events.jsonl``: the two seed articles, one row per body sentence, hand-coded events with
  type, mode, actor/recipient (text, ISO3 country, sector), location, date, dead, injured,
  reported_only;
- ``case2021_task2_acled_types.jsonl``: 1,019 conflict snippets, one ACLED sub-event type each
  (type only), mapped to PLOVER with ``ACLED_TO_PLOVER`` below.

How sentences are fed to the extractor
--------------------------------------
- PETR2 and CASE: every gold sentence (snippet) is its own document:
  ``extract_events(id, text, published)``, ``published`` = the gold ``date`` (``YYYYMMDD`` →
  ``YYYY-MM-DD``; PETR2's one ``121108`` is not a full date and gives ``None``; CASE has no date).
  Every event of that document belongs to that sentence.
- Seeds, two ways:
  * **article** (the headline figures): the seed file goes through the pipeline's own cleaner
    (``tasks.clean.clean_text``, which drops 003's captions and promos) and the cleaned text
    through one ``extract_events`` call, with the article's publication date (the repo's
    ``seeds/metadata.yaml``), as ``make run`` does. Each gold sentence is located in the cleaned
    text (exact substring, in order; whitespace-insensitive fallback) and each predicted event goes
    to the gold sentence its own sentence span (``sentence_start``/``sentence_end``) overlaps most.
    An event overlapping no gold sentence is "unaligned" and counts as a false positive.
  * **sentence**: each gold sentence alone, with the article's publication date (not the gold
    event ``date``: that is the answer, and "Friday" must resolve against the publication date).
    It shows what is lost without the article's context (pronouns, implicit participants,
    incident merging).

Matching (the conventions of ``../shared/tools/score_events.py``)
-----------------------------------------------------------------
Per sentence, gold and predicted events become tuples at three levels:

- ``type``: the PLOVER type;
- ``type+actor``: (type, actor country);
- ``type+actor+recipient``: (type, actor country, recipient country).

A country is the first three letters of a CAMEO actor code (``USAGOV`` → ``USA``,
``IGOUNO`` → ``IGO``) or the ISO3 / ``IGO`` of our events; a missing actor or recipient is ``""`` on
both sides. A gold event with several source (target) codes gives one tuple per code (cross
product), as in score_events.py. Gold events whose PLOVER type is ``dropped`` are ignored.

Two countings, both micro-averaged over the sentences:

- **set** (score_events.py's rule, the headline): per sentence, the *set* of tuples; tp = |gold ∩
  pred|, fp = |pred − gold|, fn = |gold − pred|. Two gold ASSAULTs in one sentence are one
  ``type`` tuple, and predicting the same tuple twice costs nothing.
- **event** (stricter): per sentence, the *multiset* of tuples (one per event); tp = the size of
  the multiset intersection (a one-to-one matching of events with equal keys), fp = predicted −
  tp, fn = gold − tp.

Two deviations from score_events.py, both reported next to the tool's own output (the eval also
runs the tool itself on the PETR2 predictions): CAMEO's ``---`` country prefix ("no country",
``---GOV``, ``---REB``) is ``""`` here, as our events leave the country empty for such actors, where
the tool keeps ``---``, which nothing can ever match; and a gold sentence with an empty text
(PETR2 ``abc12_3``) is skipped (``skipped``), where the tool counts its event as missed.

Attribute accuracy (seeds) and "exactly right"
----------------------------------------------
``pair_events`` pairs gold and predicted events of one sentence one-to-one: only events of the same
type pair; the pairs with the most agreement go first (actor and recipient country, then date,
dead, place, injured, mode), ties to the earlier events. Date, place (name, country), dead,
injured, mode, sectors and reported_only are compared on these pairs (``None`` == ``None`` counts
as right). A seed article is *exactly right* when every gold event is paired with a predicted event
of the same type, actor country, recipient country, date and dead, and no predicted event is left
over (an extra event is a mismatch too). ``seed_exactness`` lists every mismatch per event.
"""

from __future__ import annotations

from bench.baseline import floor2, prf  # noqa: F401 - re-exported for the gate tests

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLD = SHARED / "gold" / "events"
SEEDS = SHARED / "seeds"
REPO_SEEDS = ROOT / "seeds"
CORPUS = SHARED / "corpus" / "bbc_articles.jsonl"

PETR2_FILE = "petr2_gsr_validation.jsonl"
SEED_FILE = "seed_events.jsonl"
CASE_FILE = "case2021_task2_acled_types.jsonl"

LEVELS = ("type", "type+actor", "type+actor+recipient")

#: ACLED sub-event type → PLOVER type, for the CASE 2021 snippets (type only). The PLOVER mode we
#: would expect is in the comment; it is not scored. Reasons for the less obvious ones:
#: - battles that change territory are fighting: ASSAULT;
#: - "Excessive force against protesters" is the authorities' violence, so ASSAULT (crowd-control),
#:   not the protest itself (a predicted PROTEST on such a snippet is a false positive);
#: - "Protest with intervention" is still a protest: PROTEST;
#: - "Mob violence" (ACLED: violence by a mob, not in a demonstration: lynchings, village brawls)
#:   is ASSAULT, not PROTEST riot;
#: - "Looting/property destruction" is ASSAULT destroy (PLOVER: intentional destruction of property);
#: - "Non-violent transfer of territory" is RETREAT withdraw (PLOVER: "ceding territory");
#: - "Agreement" (ceasefires, peace deals, prisoner swaps agreed) is AGREE.
ACLED_TO_PLOVER: dict[str, str] = {
    "Armed clash": "ASSAULT",  # firearms / heavy-weapons
    "Government regains territory": "ASSAULT",
    "Non-state actor overtakes territory": "ASSAULT",
    "Air/drone strike": "ASSAULT",  # aerial / drone
    "Shelling/artillery/missile attack": "ASSAULT",  # heavy-weapons
    "Remote explosive/landmine/IED": "ASSAULT",  # explosives
    "Grenade": "ASSAULT",  # explosives
    "Suicide bomb": "ASSAULT",  # suicide-attack
    "Chemical weapon": "ASSAULT",  # unconventional
    "Attack": "ASSAULT",  # violence against civilians
    "Sexual violence": "ASSAULT",  # sexual
    "Abduction/forced disappearance": "ASSAULT",  # abduct
    "Mob violence": "ASSAULT",  # beat / primitive
    "Looting/property destruction": "ASSAULT",  # destroy
    "Excessive force against protesters": "ASSAULT",  # crowd-control
    "Peaceful protest": "PROTEST",  # demo
    "Protest with intervention": "PROTEST",  # demo
    "Violent demonstration": "PROTEST",  # riot
    "Arrests": "COERCE",  # arrest
    "Non-violent transfer of territory": "RETREAT",  # withdraw
    "Agreement": "AGREE",
}
#: Left unmapped: no single PLOVER type fits (a mix of seizures, defusals and interceptions; group
#: formations, defections and splits; bases set up; ACLED's residual class), plus the five types the
#: CASE organisers added that are not ACLED at all (gold code in brackets). Snippets of these types
#: are left out of P/R/F1; the events we code on them are counted on their own (``unmapped``).
ACLED_UNMAPPED: dict[str, str] = {
    "Disrupted weapons use": "DISR_WEAP",
    "Change to group/activity": "CHANGE_TO_GROUP_ACT",
    "Headquarters or base established": "HQ_ESTABLISHED",
    "Other": "OTHER",
    "(not ACLED) man-made disaster": "MAN_MADE_DISASTER",
    "(not ACLED) natural disaster": "NATURAL_DISASTER",
    "(not ACLED) diplomatic": "DIPLO",
    "(not ACLED) organised crime": "ORG_CRIME",
    "(not ACLED) attribution": "ATTRIB",
}

#: What tests/test_events_quality.py holds to a floor (F1s) or a ceiling (counts).
GATE_FLOORS = ("petr2_type_f1", "petr2_triple_f1", "seeds_type_f1", "seeds_triple_f1")
GATE_CEILINGS = ("no_event_events",)


class GoldMissing(FileNotFoundError):
    """The events gold folder (or one of its files) is not there."""


# ---------------------------------------------------------------------------------------------
# Gold records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldEvent:
    """One gold event: type and the actor/recipient countries ("" when missing), plus what the seeds have."""

    type: str
    actors: tuple[str, ...] = ("",)
    recipients: tuple[str, ...] = ("",)
    mode: str | None = None
    actor_text: str | None = None
    actor_sector: str | None = None
    recipient_text: str | None = None
    recipient_sector: str | None = None
    date: str | None = None
    place_name: str | None = None
    place_country: str | None = None
    dead: int | None = None
    injured: int | None = None
    reported_only: bool | None = None

    @property
    def actor(self) -> str:
        return self.actors[0] if self.actors else ""

    @property
    def recipient(self) -> str:
        return self.recipients[0] if self.recipients else ""


@dataclass
class GoldSentence:
    """One gold sentence (or CASE snippet) and its events."""

    sid: str  # unique id: the PETR2/CASE id, or "<doc>#<sentence_idx>" for the seeds
    text: str
    published: str | None = None
    events: list[GoldEvent] = field(default_factory=list)
    no_events: bool = False  # marked as having none (PETR2 no_events_expected; a seed row with no events)
    dropped: int = 0  # gold events PLOVER drops (type "dropped"), not scored
    doc: str | None = None  # seeds: the article file name
    idx: int | None = None  # seeds: sentence_idx
    label: str | None = None  # CASE: the ACLED sub-event type (or "(not ACLED) ...")
    scored: bool = True  # CASE: False for an unmapped type (left out of P/R/F1)


def read_jsonl(path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not a JSON line ({e.msg})") from None
    return out


def _need(folder: Path, name: str) -> Path:
    p = Path(folder) / name
    if not p.is_file():
        raise GoldMissing(
            f"events gold not found: {p} does not exist. The eval reads the shared benchmark "
            f"../shared/gold/events (next to the repository, not committed here); pass --gold DIR to "
            f"point at another copy.")
    return p


def iso_date(d: str | None) -> str | None:
    """Gold ``YYYYMMDD`` (or ISO) → ``YYYY-MM-DD``; anything else (PETR2's ``121108``) → None."""
    if not d:
        return None
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", str(d).strip())
    return f"{m[1]}-{m[2]}-{m[3]}" if m else None


def actor_country(code: str | None) -> str:
    """CAMEO actor code → country as score_events.py takes it (first 3 letters), but ``---`` → ""."""
    c = (code or "").strip().upper()[:3]
    return "" if c == "---" else c


def _plover(t: str | None) -> str:
    return (t or "").strip().upper()


def load_petr2(folder: Path) -> list[GoldSentence]:
    """The PETR2 sentences (``dropped`` events kept only as a count)."""
    out = []
    for r in read_jsonl(_need(folder, PETR2_FILE)):
        events, dropped = [], 0
        for e in r.get("gold_events") or []:
            t = _plover(e.get("plover"))
            if not t or t == "DROPPED":
                dropped += 1
                continue
            srcs = tuple(actor_country(a.get("code")) for a in e.get("source_actor") or []) or ("",)
            tgts = tuple(actor_country(a.get("code")) for a in e.get("target_actor") or []) or ("",)
            events.append(GoldEvent(t, srcs, tgts, mode=e.get("plover_mode")))
        out.append(GoldSentence(sid=r["id"], text=r.get("text") or "", published=iso_date(r.get("date")),
                                events=events, no_events=bool(r.get("no_events_expected")), dropped=dropped))
    return out


def _party(p: dict | None) -> tuple[str, str | None, str | None]:
    p = p or {}
    return (p.get("country") or "").upper(), p.get("text"), p.get("sector")


def load_seed_gold(folder: Path, published: Mapping[str, str | None] | None = None) -> list[GoldSentence]:
    """The seed gold, one GoldSentence per row; ``published`` maps a doc to its publication date."""
    out = []
    for r in read_jsonl(_need(folder, SEED_FILE)):
        events = []
        for e in r.get("events") or []:
            ac, at, asec = _party(e.get("actor"))
            rc, rt, rsec = _party(e.get("recipient"))
            loc = e.get("location") or {}
            events.append(GoldEvent(
                _plover(e.get("type")), (ac,), (rc,), mode=e.get("mode"), actor_text=at, actor_sector=asec,
                recipient_text=rt, recipient_sector=rsec, date=e.get("date"), place_name=loc.get("name"),
                place_country=loc.get("country"), dead=e.get("dead"), injured=e.get("injured"),
                reported_only=e.get("reported_only")))
        doc = r["doc"]
        out.append(GoldSentence(sid=f"{doc}#{r['sentence_idx']}", text=r["text"],
                                published=(published or {}).get(doc), events=events, no_events=not events,
                                doc=doc, idx=int(r["sentence_idx"])))
    return out


def load_case(folder: Path) -> list[GoldSentence]:
    """The CASE 2021 snippets, each with its ACLED type mapped to one PLOVER event (type only)."""
    out = []
    for r in read_jsonl(_need(folder, CASE_FILE)):
        g = (r.get("gold_events") or [{}])[0]
        sub = g.get("acled_sub_event_type")
        label = sub or f"(not ACLED) {g.get('code', '?')}"
        t = ACLED_TO_PLOVER.get(sub or "")
        if sub and not t and sub not in ACLED_UNMAPPED:
            raise ValueError(f"{CASE_FILE}: ACLED sub-event type {sub!r} is neither mapped nor listed as unmapped "
                             f"in bench/events_scoring.py")
        out.append(GoldSentence(sid=r["id"], text=r.get("text") or "", events=[GoldEvent(t)] if t else [],
                                label=label, scored=bool(t)))
    return out


def seed_publication_dates(metadata: Path = REPO_SEEDS / "metadata.yaml") -> dict[str, str | None]:
    """The seeds' publication dates from the repo's sidecar (../shared/seeds has none)."""
    import yaml

    if not metadata.is_file():
        return {}
    data = yaml.safe_load(metadata.read_text(encoding="utf-8")) or {}
    return {k: (str(v.get("published")) if isinstance(v, dict) and v.get("published") else None)
            for k, v in data.items()}


def seeds_dir_for(gold: Path) -> Path:
    """Where the seed texts are: ``<gold>/../../seeds`` (../shared/seeds) if there, else the repo's seeds/."""
    cand = Path(gold).resolve().parent.parent / "seeds"
    return cand if cand.is_dir() else REPO_SEEDS


# ---------------------------------------------------------------------------------------------
# Predicted events, as plain tuples
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pred:
    """What scoring needs of a ``tasks.records.Event`` (``from_event``), or a hand-made one in tests."""

    type: str
    actor: str = ""
    recipient: str = ""
    mode: str | None = None
    actor_sector: str | None = None
    recipient_sector: str | None = None
    date: str | None = None
    place_name: str | None = None
    place_country: str | None = None
    dead: int | None = None
    injured: int | None = None
    reported_only: bool | None = None
    trigger: str | None = None
    actor_text: str | None = None
    recipient_text: str | None = None
    span: tuple[int, int] | None = None  # the event's sentence in the document

    @staticmethod
    def from_event(e) -> "Pred":
        return Pred(
            type=(e.event_type or "").upper(), actor=(e.actor_country or "").upper(),
            recipient=(e.recipient_country or "").upper(), mode=e.mode, actor_sector=e.actor_sector,
            recipient_sector=e.recipient_sector, date=e.event_date, place_name=e.place_name,
            place_country=e.place_country, dead=e.dead, injured=e.injured, reported_only=e.reported_only,
            trigger=e.trigger, actor_text=e.actor_text, recipient_text=e.recipient_text,
            span=(e.sentence_start, e.sentence_end))

    def short(self) -> str:
        return f"{self.type} {self.actor or '∅'}→{self.recipient or '∅'}"


# ---------------------------------------------------------------------------------------------
# Running the extractor
# ---------------------------------------------------------------------------------------------


def _extractor() -> Callable:
    from tasks.events import extract_events

    return extract_events


def predict_sentences(sentences: Sequence[GoldSentence], extract: Callable | None = None) -> dict[str, list[Pred]]:
    """Each sentence as its own document: ``extract(sid, text, published)``. Empty texts are skipped."""
    extract = extract or _extractor()
    return {s.sid: [Pred.from_event(e) for e in extract(s.sid, s.text, s.published)]
            for s in sentences if s.text.strip()}


def _squash(text: str) -> tuple[str, list[int]]:
    """``text`` with every whitespace run as one space, and the original offset of each kept character."""
    out, where, prev_space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if prev_space:
                continue
            out.append(" ")
            prev_space = True
        else:
            out.append(ch)
            prev_space = False
        where.append(i)
    return "".join(out), where


def locate_sentences(text: str, sentences: Sequence[str]) -> list[tuple[int, int] | None]:
    """Character spans of each sentence in ``text``: exact substring, searched in order from the
    previous match; failing that, the same with whitespace runs squashed. None if not found."""
    spans: list[tuple[int, int] | None] = []
    pos = 0
    squashed, where = _squash(text)
    for s in sentences:
        s = s.strip()
        i = text.find(s, pos)
        if i < 0:
            i = text.find(s)
        if i >= 0:
            spans.append((i, i + len(s)))
            pos = i + len(s)
            continue
        q, _ = _squash(s)
        j = squashed.find(q.strip())
        if j >= 0 and q.strip():
            a = where[j]
            b = where[j + len(q.strip()) - 1] + 1
            spans.append((a, b))
            pos = b
        else:
            spans.append(None)
    return spans


def assign_to_sentences(preds: Iterable[Pred], spans: Sequence[tuple[int, int] | None]) -> tuple[dict[int, list[Pred]], list[Pred]]:
    """Each predicted event goes to the sentence its own span overlaps most (ties: the earlier one).
    Returns {sentence position: events} and the events that overlap no sentence."""
    by: dict[int, list[Pred]] = {}
    unaligned: list[Pred] = []
    for p in preds:
        best, best_ov = None, 0
        a, b = p.span or (0, 0)
        for k, sp in enumerate(spans):
            if sp is None:
                continue
            ov = min(b, sp[1]) - max(a, sp[0])
            if ov > best_ov:
                best, best_ov = k, ov
        if best is None:
            unaligned.append(p)
        else:
            by.setdefault(best, []).append(p)
    return by, unaligned


def seed_article_text(path: Path) -> str:
    """A seed file as the pipeline gives it to extract_events: through ``tasks.clean.clean_text``."""
    from tasks.clean import clean_text

    return clean_text(path.read_text(encoding="utf-8")).text


@dataclass
class ArticleRun:
    preds: dict[str, list[Pred]]  # sid -> events aligned to that gold sentence
    unaligned: dict[str, list[Pred]]  # doc -> events on no gold sentence
    not_found: list[str]  # sids of gold sentences not found in the cleaned text
    events: dict[str, int]  # doc -> number of events extracted


def predict_seed_articles(sentences: Sequence[GoldSentence], seeds_dir: Path, extract: Callable | None = None,
                          text_of: Callable[[Path], str] = seed_article_text) -> ArticleRun:
    """Each seed article cleaned and extracted whole; events aligned to the gold sentences by offsets."""
    extract = extract or _extractor()
    run = ArticleRun({}, {}, [], {})
    docs: dict[str, list[GoldSentence]] = {}
    for s in sentences:
        docs.setdefault(s.doc or "", []).append(s)
    for doc, sents in docs.items():
        path = Path(seeds_dir) / doc
        if not path.is_file():
            raise GoldMissing(f"seed article not found: {path} (the seed gold names it); pass --seeds DIR")
        sents = sorted(sents, key=lambda s: s.idx or 0)
        text = text_of(path)
        events = [Pred.from_event(e) for e in extract(Path(doc).stem, text, sents[0].published)]
        run.events[doc] = len(events)
        spans = locate_sentences(text, [s.text for s in sents])
        run.not_found += [s.sid for s, sp in zip(sents, spans) if sp is None]
        by, unaligned = assign_to_sentences(events, spans)
        for k, s in enumerate(sents):
            run.preds[s.sid] = by.get(k, [])
        run.unaligned[doc] = unaligned
    return run


# ---------------------------------------------------------------------------------------------
# P/R/F1
# ---------------------------------------------------------------------------------------------


def gold_keys(events: Iterable[GoldEvent], level: str) -> list[tuple]:
    """One key per gold event and level (a cross product over several actor/recipient codes)."""
    out = []
    for e in events:
        if level == "type":
            out.append((e.type,))
            continue
        for a in e.actors or ("",):
            if level == "type+actor":
                out.append((e.type, a))
            else:
                for r in e.recipients or ("",):
                    out.append((e.type, a, r))
    return out


def pred_keys(preds: Iterable[Pred], level: str) -> list[tuple]:
    if level == "type":
        return [(p.type,) for p in preds]
    if level == "type+actor":
        return [(p.type, p.actor) for p in preds]
    return [(p.type, p.actor, p.recipient) for p in preds]




def count_level(gold: list[tuple], pred: list[tuple], counting: str = "set") -> tuple[int, int, int]:
    """tp, fp, fn of one sentence: sets of keys (score_events.py) or multisets (one-to-one events)."""
    if counting == "set":
        g, p = set(gold), set(pred)
        return len(g & p), len(p - g), len(g - p)
    if counting == "event":
        g, p = Counter(gold), Counter(pred)
        tp = sum((g & p).values())
        return tp, sum(p.values()) - tp, sum(g.values()) - tp
    raise ValueError(f"counting must be 'set' or 'event', not {counting!r}")


def score(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]], counting: str = "set",
          unaligned: Mapping[str, Sequence[Pred]] | None = None) -> dict:
    """Micro P/R/F1 at the three levels over the scored sentences (a sentence without predictions has
    none). ``unaligned``: per article, events that fell on no gold sentence; each article's are
    scored as one more sentence with no gold event (false positives)."""
    out = {}
    for level in LEVELS:
        tp = fp = fn = 0
        for s in sentences:
            if not s.scored:
                continue
            a, b, c = count_level(gold_keys(s.events, level), pred_keys(preds.get(s.sid, []), level), counting)
            tp, fp, fn = tp + a, fp + b, fn + c
        for ps in (unaligned or {}).values():
            fp += count_level([], pred_keys(ps, level), counting)[1]
        p, r, f = prf(tp, fp, fn)
        out[level] = {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}
    return out


def no_event_count(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]]) -> dict:
    """Events coded on the sentences marked as having none."""
    marked = [s for s in sentences if s.no_events]
    hits = [(s, preds.get(s.sid, [])) for s in marked]
    return {"sentences": len(marked), "events": sum(len(p) for _, p in hits),
            "sentences_with_events": sum(1 for _, p in hits if p),
            "examples": [{"id": s.sid, "text": s.text, "predicted": [p.short() + (f" ({p.trigger!r})" if p.trigger else "")
                                                                      for p in ps]} for s, ps in hits if ps]}


# ---------------------------------------------------------------------------------------------
# Pairing events one to one: attribute accuracy and the seeds' "exactly right"
# ---------------------------------------------------------------------------------------------


def _norm_place(s: str | None) -> str | None:
    if s is None:
        return None
    return re.sub(r"\s+", " ", s.replace("’", "'").replace("‘", "'")).strip().casefold() or None


ATTRIBUTES = ("date", "place_name", "place_country", "dead", "injured", "mode", "actor_sector",
              "recipient_sector", "reported_only")


def attr_value(e: GoldEvent | Pred, name: str):
    v = getattr(e, name)
    if name == "place_name":
        return _norm_place(v)
    if name in ("mode", "actor_sector", "recipient_sector", "place_country"):
        return (v or "").upper() or None
    return v


def _agreement(g: GoldEvent, p: Pred) -> tuple:
    return (g.actor == p.actor and g.recipient == p.recipient, g.actor == p.actor, g.recipient == p.recipient,
            attr_value(g, "date") == attr_value(p, "date"), attr_value(g, "dead") == attr_value(p, "dead"),
            attr_value(g, "place_name") == attr_value(p, "place_name"),
            attr_value(g, "injured") == attr_value(p, "injured"), attr_value(g, "mode") == attr_value(p, "mode"))


def pair_events(gold: Sequence[GoldEvent], pred: Sequence[Pred]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """One-to-one pairs (gold index, pred index) of events of the same type, most agreement first.
    Returns the pairs (in gold order), the unpaired gold indexes and the unpaired pred indexes."""
    cands = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            if g.type == p.type:
                cands.append((_agreement(g, p), -i, -j))
    cands.sort(reverse=True)
    used_g, used_p, pairs = set(), set(), []
    for _, mi, mj in cands:
        i, j = -mi, -mj
        if i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        pairs.append((i, j))
    pairs.sort()
    return pairs, [i for i in range(len(gold)) if i not in used_g], [j for j in range(len(pred)) if j not in used_p]


def attribute_accuracy(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]]) -> dict:
    """Accuracy of each attribute over the paired events (same type). ``with_value``: over the pairs
    whose gold attribute is not None; ``null``: gold None and predicted None."""
    acc = {a: {"n": 0, "right": 0, "with_value": 0, "with_value_right": 0} for a in ATTRIBUTES}
    matched = gold_n = 0
    for s in sentences:
        ps = list(preds.get(s.sid, []))
        pairs, _, _ = pair_events(s.events, ps)
        gold_n += len(s.events)
        matched += len(pairs)
        for i, j in pairs:
            g, p = s.events[i], ps[j]
            for a in ATTRIBUTES:
                gv, pv = attr_value(g, a), attr_value(p, a)
                d = acc[a]
                d["n"] += 1
                d["right"] += gv == pv
                if gv is not None:
                    d["with_value"] += 1
                    d["with_value_right"] += gv == pv
    for d in acc.values():
        d["accuracy"] = d["right"] / d["n"] if d["n"] else None
        d["accuracy_with_value"] = d["with_value_right"] / d["with_value"] if d["with_value"] else None
    return {"gold_events": gold_n, "paired": matched, "attributes": acc}


EXACT_FIELDS = ("type", "actor", "recipient", "date", "dead")


def _describe(e: GoldEvent | Pred) -> str:
    extra = [f"date {e.date or '∅'}"]
    if e.dead is not None:
        extra.append(f"dead {e.dead}")
    return f"{e.type} {e.actor or '∅'}→{e.recipient or '∅'} ({', '.join(extra)})"


def seed_exactness(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]],
                   unaligned: Mapping[str, Sequence[Pred]] | None = None) -> dict[str, dict]:
    """Per seed article: is every gold event predicted with the same type, actor and recipient
    country, date and dead, with no extra event? And every mismatch, event by event."""
    out: dict[str, dict] = {}
    for s in sorted(sentences, key=lambda s: (s.doc or "", s.idx or 0)):
        d = out.setdefault(s.doc or "", {"gold_events": 0, "right": 0, "mismatches": []})
        ps = list(preds.get(s.sid, []))
        pairs, lone_g, lone_p = pair_events(s.events, ps)
        d["gold_events"] += len(s.events)
        for i, j in pairs:
            g, p = s.events[i], ps[j]
            wrong = [f for f in EXACT_FIELDS[1:] if getattr(g, f) != getattr(p, f)]
            if wrong:
                d["mismatches"].append({"sentence": s.idx, "kind": "wrong " + ", ".join(wrong),
                                        "gold": _describe(g), "predicted": _describe(p)})
            else:
                d["right"] += 1
        for i in lone_g:
            d["mismatches"].append({"sentence": s.idx, "kind": "missed", "gold": _describe(s.events[i]),
                                    "predicted": None})
        for j in lone_p:
            d["mismatches"].append({"sentence": s.idx, "kind": "extra", "gold": None, "predicted": _describe(ps[j])})
    for doc, extra in (unaligned or {}).items():
        for p in extra:
            out.setdefault(doc, {"gold_events": 0, "right": 0, "mismatches": []})["mismatches"].append(
                {"sentence": None, "kind": "extra (on no gold sentence)", "gold": None, "predicted": _describe(p)})
    for d in out.values():
        d["exact"] = not d["mismatches"]
    return out


# ---------------------------------------------------------------------------------------------
# Error analysis (what to fix first)
# ---------------------------------------------------------------------------------------------


def error_analysis(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]], examples: int = 3,
                   types_only: bool = False) -> dict:
    """Sentence-level error kinds (set counting), with counts and a few example sentences each:

    - ``missed_type``: a gold type with no predicted event of that type, and nothing predicted
      instead; ``wrong_type``: the same, but the sentence has predicted types the gold lacks
      (confusions counted gold → predicted);
    - ``spurious_type``: a predicted type the gold sentence lacks (on sentences that have events);
    - ``wrong_actor``: the type is right, but no event of that type has a gold actor country;
    - ``wrong_recipient``: type and actor right, the recipient country is not;
    - ``no_event``: events on sentences marked as having none.

    ``types_only`` (CASE, whose gold has no actors): no actor or recipient kinds.
    """
    kinds = ("missed_type", "wrong_type", "spurious_type", "wrong_actor", "wrong_recipient", "no_event")
    out = {k: {"count": 0, "examples": []} for k in kinds}
    confusions: Counter = Counter()
    actor_errors: Counter = Counter()

    def add(kind: str, s: GoldSentence, gold: str, pred: str, n: int = 1) -> None:
        d = out[kind]
        d["count"] += n
        if len(d["examples"]) < examples and all(x["id"] != s.sid for x in d["examples"]):
            d["examples"].append({"id": s.sid, "text": s.text[:300], "gold": gold, "predicted": pred})

    for s in sentences:
        if not s.scored:
            continue
        ps = list(preds.get(s.sid, []))
        pred_str = "; ".join(p.short() + (f" [{p.trigger}]" if p.trigger else "") for p in ps) or "nothing"
        gold_str = "; ".join(_describe(g) if g.date or g.dead else f"{g.type} {g.actor or '∅'}→{g.recipient or '∅'}"
                             for g in s.events) or "no event"
        if s.no_events:
            if ps:
                add("no_event", s, gold_str, pred_str, n=len(ps))  # counted in events
            continue
        gtypes = {g.type for g in s.events}
        ptypes = {p.type for p in ps}
        extra = ptypes - gtypes
        for t in sorted(gtypes - ptypes):
            if extra:
                add("wrong_type", s, gold_str, pred_str)
                for x in sorted(extra):
                    confusions[(t, x)] += 1
            else:
                add("missed_type", s, gold_str, pred_str)
        for _ in sorted(extra):
            add("spurious_type", s, gold_str, pred_str)
        for t in sorted(gtypes & ptypes) if not types_only else ():
            ga = {(g.actor, g.recipient) for g in s.events if g.type == t}
            pa = {(p.actor, p.recipient) for p in ps if p.type == t}
            if not {a for a, _ in ga} & {a for a, _ in pa}:
                add("wrong_actor", s, gold_str, pred_str)
                for a, _ in sorted(ga):
                    for b, _ in sorted(pa):
                        actor_errors[(a or "∅", b or "∅")] += 1
            elif not ga & pa:
                add("wrong_recipient", s, gold_str, pred_str)
    out["type_confusions"] = [{"gold": g, "predicted": p, "sentences": n} for (g, p), n in confusions.most_common(15)]
    out["actor_confusions"] = [{"gold": g, "predicted": p, "count": n} for (g, p), n in actor_errors.most_common(10)]
    return out


def per_type(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]]) -> dict[str, dict]:
    """Type-level set counts per PLOVER type."""
    c: dict[str, Counter] = {}
    for s in sentences:
        if not s.scored:
            continue
        g = {e.type for e in s.events}
        p = {e.type for e in preds.get(s.sid, [])}
        for t in g | p:
            d = c.setdefault(t, Counter())
            d["tp"] += t in g and t in p
            d["fp"] += t in p and t not in g
            d["fn"] += t in g and t not in p
    out = {}
    for t in sorted(c, key=lambda t: (-(c[t]["tp"] + c[t]["fn"]), t)):
        pr, rc, f = prf(c[t]["tp"], c[t]["fp"], c[t]["fn"])
        out[t] = {"gold": c[t]["tp"] + c[t]["fn"], "tp": c[t]["tp"], "fp": c[t]["fp"], "fn": c[t]["fn"],
                  "precision": pr, "recall": rc, "f1": f}
    return out


def case_by_label(sentences: Sequence[GoldSentence], preds: Mapping[str, Sequence[Pred]]) -> dict[str, dict]:
    """Per ACLED type: snippets, the PLOVER type it maps to, recall (mapped) and what we code."""
    out: dict[str, dict] = {}
    for s in sentences:
        d = out.setdefault(s.label or "?", {"plover": s.events[0].type if s.events else None, "snippets": 0,
                                            "hit": 0, "with_events": 0, "events": 0, "predicted": Counter()})
        ps = preds.get(s.sid, [])
        d["snippets"] += 1
        d["events"] += len(ps)
        d["with_events"] += bool(ps)
        d["hit"] += bool(s.events) and any(p.type == s.events[0].type for p in ps)
        d["predicted"].update({p.type for p in ps})
    for d in out.values():
        d["recall"] = d["hit"] / d["snippets"] if d["plover"] and d["snippets"] else None
        d["predicted"] = dict(d["predicted"].most_common(4))
    return dict(sorted(out.items(), key=lambda kv: (kv[1]["plover"] is None, -kv[1]["snippets"], kv[0])))


# ---------------------------------------------------------------------------------------------
# The gate metrics, speed, helpers
# ---------------------------------------------------------------------------------------------


def gate_metrics(gold: Path, seeds_dir: Path, published: Mapping[str, str | None]) -> dict[str, float | int]:
    """What tests/test_events_quality.py checks: type and type+actor+recipient F1 (set counting) on
    PETR2 and on the seeds (whole articles), and the events coded on the sentences marked as having
    none (PETR2 no_events_expected + seed rows with no events, whole articles)."""
    petr2 = load_petr2(gold)
    seeds = load_seed_gold(gold, published)
    pp = predict_sentences([s for s in petr2 if s.text.strip()])
    sa = predict_seed_articles(seeds, seeds_dir)
    ps, ss = score([s for s in petr2 if s.text.strip()], pp), score(seeds, sa.preds, unaligned=sa.unaligned)
    return {
        "petr2_type_f1": ps["type"]["f1"] or 0.0,
        "petr2_triple_f1": ps["type+actor+recipient"]["f1"] or 0.0,
        "seeds_type_f1": ss["type"]["f1"] or 0.0,
        "seeds_triple_f1": ss["type+actor+recipient"]["f1"] or 0.0,
        "no_event_events": no_event_count(petr2, pp)["events"] + no_event_count(seeds, sa.preds)["events"],
    }




def _rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure_speed(corpus: Path, limit: int | None = None, pin: bool = True) -> dict:
    """Articles per second of ``extract_events`` over a JSONL corpus (``id``, ``text``), in this
    process, pinned to one CPU. Meant for a fresh process: its peak RSS is the process's."""
    import resource

    if not Path(corpus).is_file():
        raise GoldMissing(f"speed corpus not found: {corpus} (../shared/corpus/bbc_articles.jsonl); pass --corpus FILE")
    cpu = None
    if pin and hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    rss_start = _rss_mb()
    t0 = time.perf_counter()
    from tasks.events import extract_events, load_lexicon

    t1 = time.perf_counter()
    load_lexicon()
    t2 = time.perf_counter()
    rows = read_jsonl(Path(corpus))[:limit] if limit else read_jsonl(Path(corpus))
    rss_before = _rss_mb()
    n_events = 0
    c0, w0 = time.process_time(), time.perf_counter()
    for r in rows:
        n_events += len(extract_events(str(r.get("id")), r.get("text") or "", r.get("published")))
    wall, cpu_s = time.perf_counter() - w0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    chars = sum(len(r.get("text") or "") for r in rows)
    return {
        "corpus": str(corpus), "articles": len(rows), "characters": chars, "events": n_events,
        "seconds": round(wall, 3), "cpu_seconds": round(cpu_s, 3),
        "articles_per_s": round(len(rows) / wall, 1) if wall else None,
        "articles_per_cpu_s": round(len(rows) / cpu_s, 1) if cpu_s else None,
        "ms_per_article": round(1000 * wall / len(rows), 3) if rows else None,
        "import_seconds": round(t1 - t0, 3), "lexicon_load_seconds": round(t2 - t1, 3),
        "rss_start_mb": round(rss_start, 1) if rss_start else None,
        "rss_before_extraction_mb": round(rss_before, 1) if rss_before else None,
        "peak_rss_mb": round(peak, 1), "pinned_cpu": cpu,
        "loadavg_before": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
