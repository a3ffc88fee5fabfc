"""The check that runs in CI: which discrepancies of a batch are new, which are acknowledged.

A *finding* is one flagged pair of the discrepancies table, with where its two claims stand
(file, line, column). A *baseline* is a committed JSON file of acknowledged findings, each
with an optional reason. :func:`compare` splits a batch's findings into new ones (not in
the baseline: the check fails), suppressed ones (in it) and the baseline's stale entries
(no longer found).

**Keys.** A finding and a baseline entry are matched by a key made of their content only:
the quantity and, for each of the two claims, its document, its text as written (white space
collapsed), its figure, who claims it and the outlet (:func:`content_key`). Neither row
order, nor offsets, nor line numbers enter it, so an entry survives re-ordered articles and
edits elsewhere in an article; it goes stale when one of its claims is changed or removed,
or moves to another quantity. Documents are the ``doc`` names figcheck gives (a file's path
inside the folder given), so a check must be given the same PATHS as the baseline was.

The baseline file (:func:`baseline_bytes`) is sorted and has no date in it, so the same
findings give the same bytes::

    {
      "figcheck": "baseline",
      "version": 1,
      "discrepancies": [
        {
          "id": "3f0c2a9e5b1d7c48",
          "quantity": "turkish killed",
          "claims": [
            {"doc": "a.txt", "text": "2,400 people", "value": 2400,
             "attributed_to": "national disaster agency", "source": "Harbor Times"},
            {"doc": "b.txt", "text": "2,900 people", "value": 2900,
             "attributed_to": null, "source": "Evening Post"}
          ],
          "reason": "the union counts the missing"
        }
      ]
    }

``id`` is the key; a hand-edited entry whose ``id`` no longer matches its claims is refused
(:class:`BaselineError`), as is anything else malformed. Library code: nothing here prints.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any, Iterable, Sequence

import pandas as pd

from figcheck import io, sources

BASELINE_FORMAT = "baseline"
BASELINE_VERSION = 1
#: Where ``figcheck check`` and ``figcheck baseline`` look for the baseline by default.
DEFAULT_BASELINE = "figcheck-baseline.json"
_CLAIM_FIELDS = ("doc", "text", "value", "attributed_to", "source")
_ENTRY_FIELDS = {"id", "quantity", "claims", "reason"}
_LINE_SUFFIX = re.compile(r"#(\d+)$")


class BaselineError(ValueError):
    """The baseline file is malformed: the message names the file and what is wrong."""


# --- findings ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One side of a finding: what the key is made of, then where the claim stands."""

    doc: str
    text: str
    value: float | int | None
    attributed_to: str | None
    source: str | None
    as_of: str | None = None
    claim_id: str | None = None
    start: int | None = None
    end: int | None = None
    path: str | None = None       # the article's file, as found under the PATHS given
    line: int | None = None       # 1-based; for a JSONL article, its line in the file
    column: int | None = None     # 1-based, in characters; None for JSONL and HTML articles
    end_line: int | None = None
    end_column: int | None = None

    def identity(self) -> dict[str, Any]:
        """What the key is made of (:func:`content_key`), as the baseline stores it."""
        return {"doc": self.doc, "text": _collapse(self.text), "value": _number(self.value),
                "attributed_to": self.attributed_to or None, "source": self.source or None}

    @property
    def claimant(self) -> str:
        return self.attributed_to or self.source or "unattributed"


@dataclass(frozen=True)
class Finding:
    """One flagged pair: ``older`` is the claim of the earlier date, ``newer`` the other."""

    quantity: str
    kind: str
    gap: float
    hedged: bool
    older: Claim
    newer: Claim
    copies: tuple[int, int] = (1, 1)
    reason: str | None = None     # the baseline's, when the finding is suppressed

    @cached_property
    def key(self) -> str:
        return content_key(self.quantity, (self.older.identity(), self.newer.identity()))


def content_key(quantity: str, claims: Sequence[dict[str, Any]]) -> str:
    """The key of a finding or baseline entry: its quantity and its two claims' identities,
    in either order.

    >>> a = {"doc": "a.txt", "text": "10,000 troops", "value": 10000, "attributed_to": None, "source": "X"}
    >>> b = {"doc": "b.txt", "text": "12,000 troops", "value": 12000, "attributed_to": None, "source": "Y"}
    >>> content_key("troops", [a, b]) == content_key("troops", [b, a])
    True
    >>> len(content_key("troops", [a, b]))
    16
    """
    sides = sorted(json.dumps(_canonical(c), sort_keys=True, ensure_ascii=False) for c in claims)
    payload = json.dumps({"quantity": quantity, "claims": sides}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def findings(claims: pd.DataFrame, discrepancies: pd.DataFrame,
             paths: dict[str, str] | None = None) -> list[Finding]:
    """The findings of a discrepancies table, each claim placed in its file when ``paths``
    (``doc`` → file, as :func:`figcheck.api.extract_batch` gives) says where it is.

    Sorted by the newer claim's document and position, then by key: the order a reader of a
    CI log expects.
    """
    wanted = set(discrepancies["claim_a"].dropna()) | set(discrepancies["claim_b"].dropna())
    spans: dict[str, tuple[int, int]] = {}
    if wanted:
        rows = claims.loc[claims["claim_id"].isin(wanted), ["claim_id", "start", "end"]]
        spans = {cid: (int(s), int(e)) for cid, s, e in rows.itertuples(index=False)}
    out = []
    for row in discrepancies.to_dict("records"):
        older, newer = (_claim(row, side, spans) for side in ("a", "b"))
        out.append(Finding(quantity=_text(row["quantity"]), kind=_text(row["kind"]),
                           gap=float(row["gap"]), hedged=bool(row["hedged"]),
                           older=older, newer=newer,
                           copies=(int(row["copies_a"]), int(row["copies_b"]))))
    if paths:
        out = locate(out, paths)
    return sorted(out, key=_reading_order)


def _claim(row: dict, side: str, spans: dict[str, tuple[int, int]]) -> Claim:
    claim_id = _text(row[f"claim_{side}"])
    start, end = spans.get(claim_id, (None, None))
    as_of = row[f"as_of_{side}"]
    return Claim(doc=_text(row[f"doc_{side}"]), text=_text(row[f"text_{side}"]),
                 value=_number(row[f"value_{side}"]),
                 attributed_to=_text(row[f"attributed_to_{side}"]) or None,
                 source=_text(row[f"source_{side}"]) or None,
                 as_of=None if pd.isna(as_of) else pd.Timestamp(as_of).date().isoformat(),
                 claim_id=claim_id, start=start, end=end)


def _reading_order(finding: Finding) -> tuple:
    n = finding.newer
    return (n.path or n.doc, n.line or 0, n.column or 0, finding.quantity, finding.key)


# --- where a claim stands ------------------------------------------------------------------

def locate(found: Iterable[Finding], paths: dict[str, str]) -> list[Finding]:
    """The findings with each claim's file, line and column (each file read once).

    Offsets count from the start of a ``.txt``/``.md`` file (its text as figcheck decodes
    it), so the line is the number of line breaks before the claim, plus one. A JSONL
    article is placed on its line of the file; an HTML page, whose text is extracted from
    its markup, at the file only.
    """
    texts: dict[str, str | None] = {}
    jsonl_lines: dict[str, dict[str, int]] = {}
    # Per JSONL file, the docs of its articles: made when a claim of one is placed.
    docs_of: dict[str, list[str]] | None = None

    def place(claim: Claim) -> Claim:
        nonlocal docs_of
        path = paths.get(claim.doc)
        if path is None:
            return claim
        claim = replace(claim, path=path)
        lower = path.lower()
        if lower.endswith(sources.TEXT_SUFFIXES) and claim.start is not None:
            if path not in texts:
                texts[path] = _read_text(path)
            text = texts[path]
            if text is None or claim.start > len(text):
                return claim
            line, column = _line_column(text, claim.start)
            end_line, end_column = _line_column(text, claim.end if claim.end is not None else claim.start)
            return replace(claim, line=line, column=column, end_line=end_line, end_column=end_column)
        if lower.endswith(sources.JSONL_SUFFIX):
            if docs_of is None:
                docs_of = {}
                for doc, its_path in paths.items():
                    if its_path.lower().endswith(sources.JSONL_SUFFIX):
                        docs_of.setdefault(its_path, []).append(doc)
            if path not in jsonl_lines:
                jsonl_lines[path] = _jsonl_docs(path, docs_of.get(path, ()))
            line = jsonl_lines[path].get(claim.doc)
            return replace(claim, line=line, end_line=line)
        return claim

    return [replace(f, older=place(f.older), newer=place(f.newer)) for f in found]


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return sources.decode(handle.read())
    except (OSError, sources.UnreadableError):
        return None


def _jsonl_docs(path: str, docs: Iterable[str]) -> dict[str, int]:
    """The line of each of ``docs`` (articles of the JSONL file ``path``).

    The reader names a line's article by its ``id``, else ``<file>#<line>``; an ``id``
    used twice gets ``#2``, ``#3``... (its later uses are placed on its first line's
    successors in order)."""
    ids: dict[str, list[int]] = {}
    without_id: set[int] = set()
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    record = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    continue
                if not isinstance(record, dict):
                    continue
                record_id = record.get("id")
                if record_id in (None, ""):
                    without_id.add(number)
                else:
                    ids.setdefault(str(record_id), []).append(number)
    except OSError:
        return {}
    out: dict[str, int] = {}
    for doc in docs:
        numbered = _LINE_SUFFIX.search(doc)
        if numbered and int(numbered.group(1)) in without_id:
            out[doc] = int(numbered.group(1))
        elif doc in ids:
            out[doc] = ids[doc][0]
        elif numbered and doc[:numbered.start()] in ids:
            lines = ids[doc[:numbered.start()]]
            out[doc] = lines[min(int(numbered.group(1)), len(lines)) - 1]
    return out


def display_path(path: str | None, start: str | None = None) -> str | None:
    """``path`` relative to ``start`` (the current folder) when it is inside it, with ``/``:
    what GitHub and SARIF viewers expect of a file in the repository."""
    if path is None:
        return None
    return _display_path(path, os.path.abspath(start or os.curdir))


@lru_cache(maxsize=4096)
def _display_path(path: str, start: str) -> str:
    try:
        relative = os.path.relpath(path, start)
    except ValueError:  # another drive
        return path.replace(os.sep, "/")
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return path.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


# --- the baseline --------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One acknowledged finding of a baseline."""

    quantity: str
    claims: tuple[dict[str, Any], dict[str, Any]]
    reason: str | None = None
    line: int | None = None       # where it stands in the baseline file, when read from one

    @cached_property
    def key(self) -> str:
        return content_key(self.quantity, self.claims)

    @classmethod
    def of(cls, finding: Finding, reason: str | None = None) -> "Entry":
        return cls(quantity=finding.quantity,
                   claims=(finding.older.identity(), finding.newer.identity()), reason=reason)


@dataclass(frozen=True)
class Baseline:
    """The acknowledged findings, by key; ``path`` is the file they were read from."""

    entries: tuple[Entry, ...] = ()
    path: str | None = None

    def by_key(self) -> dict[str, Entry]:
        return {entry.key: entry for entry in self.entries}


def read_baseline(path: str | os.PathLike, *, missing_ok: bool = False) -> Baseline:
    """The baseline in ``path``; :class:`BaselineError` when it is not one.

    With ``missing_ok``, a file that does not exist is an empty baseline.
    """
    where = os.fspath(path)
    try:
        with open(where, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        if missing_ok:
            return Baseline(path=where)
        raise BaselineError(f"{where}: no such baseline file (make one with figcheck baseline)") from None
    except OSError as exc:
        raise BaselineError(f"{where}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        raise BaselineError(f"{where}: not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{where}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    return _parse_baseline(document, where, text)


def _parse_baseline(document: Any, where: str, text: str) -> Baseline:
    if not isinstance(document, dict) or document.get("figcheck") != BASELINE_FORMAT:
        raise BaselineError(f'{where}: not a figcheck baseline (expected an object with '
                            f'"figcheck": "{BASELINE_FORMAT}")')
    unknown = set(document) - {"figcheck", "version", "discrepancies"}
    if unknown:
        raise BaselineError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{where}: baseline version {document.get('version')!r} is not "
                            f"{BASELINE_VERSION}, the one this figcheck reads")
    raw_entries = document.get("discrepancies")
    if not isinstance(raw_entries, list):
        raise BaselineError(f'{where}: "discrepancies" must be a list')
    entries = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_entries, start=1):
        what = f"{where}: discrepancy {number}"
        if not isinstance(raw, dict):
            raise BaselineError(f"{what}: not an object")
        unknown = set(raw) - _ENTRY_FIELDS
        if unknown:
            raise BaselineError(f"{what}: unknown key {sorted(unknown)[0]!r} "
                                f"(an entry has {', '.join(sorted(_ENTRY_FIELDS))})")
        quantity = raw.get("quantity")
        if not isinstance(quantity, str) or not quantity:
            raise BaselineError(f'{what}: "quantity" must be a non-empty string')
        pair = raw.get("claims")
        if not isinstance(pair, list) or len(pair) != 2:
            raise BaselineError(f'{what}: "claims" must be a list of two claims')
        claims = tuple(_parse_claim(claim, f"{what}, claim {side}")
                       for side, claim in enumerate(pair, start=1))
        reason = raw.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise BaselineError(f'{what}: "reason" must be a string or null')
        entry = Entry(quantity=quantity, claims=claims, reason=reason or None)
        stated = raw.get("id")
        if stated is not None and stated != entry.key:
            raise BaselineError(f'{what}: "id" {stated!r} does not match its claims (their key '
                                f'is {entry.key!r}); an edited entry must be made again with '
                                f'figcheck baseline')
        if entry.key in seen:
            continue
        seen.add(entry.key)
        entries.append(replace(entry, line=_line_of(text, entry.key)))
    return Baseline(entries=tuple(entries), path=where)


def _parse_claim(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BaselineError(f"{what}: not an object")
    unknown = set(raw) - set(_CLAIM_FIELDS)
    if unknown:
        raise BaselineError(f"{what}: unknown key {sorted(unknown)[0]!r} "
                            f"(a claim has {', '.join(_CLAIM_FIELDS)})")
    for name in ("doc", "text"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise BaselineError(f"{what}: {name!r} must be a non-empty string")
    value = raw.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise BaselineError(f"{what}: 'value' must be a number or null")
    for name in ("attributed_to", "source"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise BaselineError(f"{what}: {name!r} must be a string or null")
    return _canonical(raw)


def _line_of(text: str, key: str) -> int | None:
    at = text.find(f'"{key}"')
    return None if at < 0 else text.count("\n", 0, at) + 1


def make_baseline(found: Iterable[Finding], previous: Baseline | None = None, *,
                  reason: str | None = None, path: str | None = None) -> Baseline:
    """A baseline acknowledging every finding: the reasons of ``previous`` are kept for the
    findings it had; the others get ``reason``. Entries of ``previous`` not found are dropped.
    """
    kept = previous.by_key() if previous is not None else {}
    entries = {}
    for finding in found:
        old = kept.get(finding.key)
        entries[finding.key] = Entry.of(finding, old.reason if old is not None else reason)
    return Baseline(entries=tuple(entries.values()), path=path)


def prune(baseline: Baseline, stale: Iterable[Entry]) -> Baseline:
    """``baseline`` without the ``stale`` entries."""
    gone = {entry.key for entry in stale}
    return replace(baseline, entries=tuple(e for e in baseline.entries if e.key not in gone))


def baseline_bytes(baseline: Baseline) -> bytes:
    """The baseline file: entries sorted by quantity, documents and key; no date in it."""
    def order(entry: Entry) -> tuple:
        return (entry.quantity, [c["doc"] for c in entry.claims], entry.key)

    entries = []
    for entry in sorted(baseline.entries, key=order):
        claims = sorted(entry.claims, key=lambda c: json.dumps(c, sort_keys=True, ensure_ascii=False))
        entries.append({"id": entry.key, "quantity": entry.quantity,
                        "claims": [{name: c[name] for name in _CLAIM_FIELDS} for c in claims],
                        "reason": entry.reason})
    document = {"figcheck": BASELINE_FORMAT, "version": BASELINE_VERSION, "discrepancies": entries}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_baseline(baseline: Baseline, path: str | os.PathLike) -> None:
    """Write ``baseline`` to ``path`` atomically (:func:`figcheck.io.write_file`)."""
    io.write_file(path, baseline_bytes(baseline))


# --- the check -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """A batch's findings against a baseline.

    ``new``: not acknowledged (the check fails); ``suppressed``: acknowledged, with the
    baseline's reason; ``stale``: entries of the baseline that match no finding.
    """

    new: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    stale: tuple[Entry, ...]
    baseline_path: str | None = None
    articles: int = 0
    claims: int = 0
    skipped: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> bool:
        return bool(self.new)


def compare(found: Iterable[Finding], baseline: Baseline, *, articles: int = 0,
            claims: int = 0, skipped: Sequence[str] = ()) -> Outcome:
    """Split ``found`` into new and suppressed findings, and find the stale entries."""
    acknowledged = baseline.by_key()
    new, suppressed, matched = [], [], set()
    for finding in found:
        entry = acknowledged.get(finding.key)
        if entry is None:
            new.append(finding)
        else:
            matched.add(finding.key)
            suppressed.append(replace(finding, reason=entry.reason))
    stale = sorted((e for e in baseline.entries if e.key not in matched),
                   key=lambda e: (e.line or 0, e.quantity, e.key))
    return Outcome(new=tuple(new), suppressed=tuple(suppressed), stale=tuple(stale),
                   baseline_path=baseline.path, articles=articles, claims=claims,
                   skipped=tuple(skipped))


# --- helpers -------------------------------------------------------------------------------

def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _text(value: Any) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def _number(value: Any) -> float | int | None:
    """A figure as the key and the baseline write it: whole numbers as integers."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    if value != value:
        return None
    return int(value) if value.is_integer() else value


def _canonical(claim: dict[str, Any]) -> dict[str, Any]:
    return {"doc": claim.get("doc"), "text": _collapse(claim.get("text")),
            "value": _number(claim.get("value")),
            "attributed_to": claim.get("attributed_to") or None,
            "source": claim.get("source") or None}
