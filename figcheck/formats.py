"""What ``figcheck check`` prints: text, JSON, GitHub workflow commands, SARIF, markdown.

Each function turns a :class:`figcheck.check.Outcome` into text and nothing else (the
command line prints it). Output is sorted and has no clock in it: the same outcome gives
the same bytes. Paths are shown relative to the current folder (:func:`check.display_path`).

- :func:`text`: one line per new discrepancy, ``FILE:LINE:COLUMN: ...`` as compilers and
  linters write them, then the stale baseline entries, then one summary line.
- :func:`json_document`: the same as data.
- :func:`github`: workflow commands (``::error file=...,line=...::message``) that GitHub
  shows as annotations on the pull request's files, at the newer claim of each pair.
- :func:`markdown`: the summary for ``$GITHUB_STEP_SUMMARY``, cut to a byte budget.
- :func:`sarif`: SARIF 2.1.0 for code scanning, each result with a ``partialFingerprints``
  entry made of the finding's content key, so that it is the same alert from run to run.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import figcheck
from figcheck.check import Claim, Entry, Finding, Outcome, display_path

FORMATS = ("text", "json", "github", "sarif")
#: GitHub's limit on what one step may write to ``$GITHUB_STEP_SUMMARY``.
STEP_SUMMARY_LIMIT = 1024 * 1024
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "figcheckDiscrepancy/v1"
_KIND_WORDS = {"between_sources": "between sources", "over_time": "over time",
               "within_source": "within one source"}
_RULES = (
    ("between_sources", "Two sources disagree on one quantity",
     "Two claimants give figures for the same quantity whose intervals do not overlap."),
    ("over_time", "A source revised its figure",
     "The same claimant gave figures for the same quantity on different dates that do not overlap."),
    ("within_source", "A source contradicts itself",
     "The same claimant gave figures for the same quantity on the same date that do not overlap."),
)


# --- plain text ----------------------------------------------------------------------------

def text(outcome: Outcome) -> str:
    """One line per new discrepancy and per stale entry, then a summary line."""
    lines = [f"{_where(f.newer)}: new discrepancy: {describe(f)}" for f in outcome.new]
    lines += [f"{_entry_where(outcome, e)}: stale baseline entry: {describe_entry(e)}"
              for e in outcome.stale]
    lines.append("figcheck: " + summary(outcome))
    return "\n".join(lines) + "\n"


def describe(finding: Finding) -> str:
    """A finding in one line: the quantity, the newer figure, the older one and the gap."""
    older, newer = finding.older, finding.newer
    hedged = " (hedged)" if finding.hedged else ""
    return (f"{finding.quantity}: {_quoted(newer.text)} ({_who_when(newer)}) against {_quoted(older.text)} "
            f"({_who_when(older)}, {_where(older)}); gap {_percent(finding.gap)}, "
            f"{_KIND_WORDS.get(finding.kind, finding.kind)}{hedged} [{finding.key}]")


def describe_entry(entry: Entry) -> str:
    a, b = entry.claims
    return (f"{entry.quantity}: {_quoted(a['text'])} ({a['doc']}) against {_quoted(b['text'])} ({b['doc']}) "
            f"is no longer found [{entry.key}]")


def summary(outcome: Outcome) -> str:
    """``2 new discrepancies; 1 suppressed by figcheck-baseline.json; 0 stale entries``."""
    baseline = outcome.baseline_path or "the baseline"
    parts = [_count(len(outcome.new), "new discrepancy", "new discrepancies"),
             f"{len(outcome.suppressed):,} suppressed by {baseline}",
             _count(len(outcome.stale), "stale baseline entry", "stale baseline entries")
             + (" (prune with --update-baseline)" if outcome.stale else "")]
    read = f"{outcome.articles:,} articles, {outcome.claims:,} claims"
    return "; ".join(parts) + f" ({read})"


# --- JSON ----------------------------------------------------------------------------------

def json_document(outcome: Outcome) -> str:
    """The outcome as one JSON document (``new``, ``suppressed``, ``stale``, ``summary``)."""
    document = {
        "summary": {"new": len(outcome.new), "suppressed": len(outcome.suppressed),
                    "stale": len(outcome.stale), "articles": outcome.articles,
                    "claims": outcome.claims, "baseline": outcome.baseline_path,
                    "failed": outcome.failed},
        "new": [_finding_data(f) for f in outcome.new],
        "suppressed": [_finding_data(f) for f in outcome.suppressed],
        "stale": [{"id": e.key, "quantity": e.quantity, "claims": list(e.claims),
                   "reason": e.reason, "line": e.line} for e in outcome.stale],
        "skipped": list(outcome.skipped),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _finding_data(finding: Finding) -> dict[str, Any]:
    def side(claim: Claim) -> dict[str, Any]:
        return {**claim.identity(), "text": claim.text, "as_of": claim.as_of,
                "claim_id": claim.claim_id, "path": display_path(claim.path),
                "line": claim.line, "column": claim.column}

    return {"id": finding.key, "quantity": finding.quantity, "kind": finding.kind,
            "gap": finding.gap, "hedged": finding.hedged, "older": side(finding.older),
            "newer": side(finding.newer), "copies": list(finding.copies),
            "reason": finding.reason}


# --- GitHub Actions ------------------------------------------------------------------------

def github(outcome: Outcome, *, level: str = "error") -> str:
    """Workflow commands: one annotation per new discrepancy, at the newer claim's line
    (``level`` is ``error`` or ``warning``), a notice per stale baseline entry, then the
    summary line."""
    lines = []
    for f in outcome.new:
        n = f.newer
        props = {"file": display_path(n.path) or n.doc, "line": n.line, "col": n.column,
                 "endLine": n.end_line, "endColumn": n.end_column if n.end_line == n.line else None,
                 "title": f"figcheck: {f.quantity}"}
        lines.append(_command(level, props, f"New discrepancy: {describe(f)}"))
    for e in outcome.stale:
        props = {"file": display_path(outcome.baseline_path), "line": e.line,
                 "title": "figcheck: stale baseline entry"}
        lines.append(_command("notice", props, f"Stale baseline entry: {describe_entry(e)}"
                                                " (prune with figcheck check --update-baseline)"))
    lines.append("figcheck: " + summary(outcome))
    return "\n".join(lines) + "\n"


def _command(name: str, properties: dict[str, Any], message: str) -> str:
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items()
                     if value is not None)
    return f"::{name} {props}::{_escape_data(message)}" if props else f"::{name}::{_escape_data(message)}"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def markdown(outcome: Outcome, limit: int = STEP_SUMMARY_LIMIT) -> str:
    """The summary for ``$GITHUB_STEP_SUMMARY``: counts, a table of the new discrepancies,
    the stale entries. Cut to ``limit`` bytes (UTF-8), with a note saying how many rows
    were left out."""
    head = ["## figcheck", "",
            f"**{_count(len(outcome.new), 'new discrepancy', 'new discrepancies')}**, "
            f"{len(outcome.suppressed):,} suppressed by `{_md(outcome.baseline_path or 'the baseline')}`, "
            f"{_count(len(outcome.stale), 'stale baseline entry', 'stale baseline entries')} "
            f"({outcome.articles:,} articles, {outcome.claims:,} claims).", ""]
    sections: list[tuple[list[str], list[str]]] = []
    if outcome.new:
        sections.append((["### New discrepancies", "",
                          "| article | quantity | new figure | earlier figure | gap | kind | id |",
                          "|---|---|---|---|---|---|---|"],
                         [_markdown_row(f) for f in outcome.new]))
    if outcome.stale:
        sections.append(([f"### Stale baseline entries (prune with `figcheck check --update-baseline`)", ""],
                         [f"- `{e.key}` {_md(describe_entry(e))}" for e in outcome.stale]))
    parts = ["\n".join(head) + "\n"]
    used = _size(parts[0])
    left_out = 0
    for header, rows in sections:
        block = "\n".join(header) + "\n"
        if used + _size(block) + _NOTE_ROOM > limit:
            left_out += len(rows)
            continue
        parts.append(block)
        used += _size(block)
        for position, row in enumerate(rows):
            size = _size(row) + 1
            if used + size + _NOTE_ROOM > limit:
                left_out += len(rows) - position
                break
            parts.append(row + "\n")
            used += size
        parts.append("\n")
        used += 1
    if left_out:
        parts.append(f"_{left_out:,} more rows are not shown: a step summary holds at most "
                     f"{limit:,} bytes. The job's log lists them all._\n")
    return "".join(parts)


_NOTE_ROOM = 200  # bytes kept for the note on what was left out


def _markdown_row(f: Finding) -> str:
    n, o = f.newer, f.older
    return (f"| `{_md(_where(n))}` | {_md(f.quantity)} | {_md(n.text)} ({_md(_who_when(n))}) | "
            f"{_md(o.text)} ({_md(_who_when(o))}, `{_md(_where(o))}`) | {_percent(f.gap)} | "
            f"{_KIND_WORDS.get(f.kind, f.kind)}{' (hedged)' if f.hedged else ''} | `{f.key}` |")


def _md(value: str) -> str:
    """Text from articles, unable to break a table row or start markup."""
    from figcheck.report import escape
    return escape(value).replace("`", "'")


def _size(value: str) -> int:
    return len(value.encode("utf-8"))


# --- SARIF ---------------------------------------------------------------------------------

def sarif(outcome: Outcome, *, level: str = "error") -> str:
    """SARIF 2.1.0: a result per new discrepancy (``level``) and per suppressed one (with a
    ``suppressions`` entry giving the baseline's reason), at the newer claim, the older
    claim as a related location; ``partialFingerprints`` from the content key."""
    rule_index = {rule_id: i for i, (rule_id, _short, _full) in enumerate(_RULES)}
    results = []
    for finding, state in [(f, "new") for f in outcome.new] + [(f, "unchanged") for f in outcome.suppressed]:
        result: dict[str, Any] = {
            "ruleId": finding.kind,
            "level": level if state == "new" else "note",
            "message": {"text": f"New discrepancy: {describe(finding)}" if state == "new"
                        else f"Acknowledged discrepancy: {describe(finding)}"},
            "locations": [_location(finding.newer)],
            "relatedLocations": [{**_location(finding.older), "id": 1,
                                  "message": {"text": f"the earlier figure: {finding.older.text}"}}],
            "partialFingerprints": {FINGERPRINT: finding.key},
            "baselineState": state,
            "properties": {"quantity": finding.quantity, "gap": finding.gap,
                           "hedged": finding.hedged},
        }
        if finding.kind in rule_index:
            result["ruleIndex"] = rule_index[finding.kind]
        if state == "unchanged":
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": finding.reason or "acknowledged in "
                                       + (outcome.baseline_path or "the baseline")}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "figcheck",
                "version": figcheck.__version__,
                "rules": [{"id": rule_id, "name": rule_id, "shortDescription": {"text": short},
                           "fullDescription": {"text": full},
                           "defaultConfiguration": {"level": "error"}}
                          for rule_id, short, full in _RULES],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _location(claim: Claim) -> dict[str, Any]:
    path = display_path(claim.path) or claim.doc
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path, safe="/"),
                                                     "uriBaseId": "%SRCROOT%"}}
    if claim.line is not None:
        region: dict[str, Any] = {"startLine": claim.line}
        if claim.column is not None:
            region.update(startColumn=claim.column, endLine=claim.end_line or claim.line,
                          endColumn=claim.end_column or claim.column)
        region["snippet"] = {"text": claim.text}
        physical["region"] = region
    return {"physicalLocation": physical}


# --- helpers -------------------------------------------------------------------------------

def _where(claim: Claim) -> str:
    path = display_path(claim.path) or claim.doc
    if claim.line is None:
        return path
    return f"{path}:{claim.line}" + (f":{claim.column}" if claim.column is not None else "")


def _entry_where(outcome: Outcome, entry: Entry) -> str:
    path = display_path(outcome.baseline_path) or "baseline"
    return f"{path}:{entry.line}" if entry.line else path


def _quoted(text: str) -> str:
    return '"' + " ".join(text.split()) + '"'


def _who_when(claim: Claim) -> str:
    return ", ".join(part for part in (claim.claimant, claim.as_of) if part)


def _percent(fraction: float) -> str:
    if fraction != fraction or fraction == float("inf"):
        return "unbounded"
    return f"{fraction * 100:.0f}%" if fraction >= 0.01 else f"{fraction * 100:.1f}%"


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"
