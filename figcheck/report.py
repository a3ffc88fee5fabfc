"""Tables → the markdown report (``discrepancies.md``), timeline charts, and the files on disk.

The report, in order: what was read (articles, claims, files skipped and why); a summary table
of the quantities, those with discrepancies first; then, per quantity with more than one
distinct claim, its figures in date order (date, figure as written, who claims it, outlet,
article), a timeline chart when matplotlib is installed, and the flagged pairs; last, the
quantities stated once.

Text taken from articles is escaped (:func:`escape`) so that it cannot break the markdown:

>>> escape("a | b `c` <script>\\nd")
'a \\\\| b \\\\`c\\\\` &lt;script&gt; d'

The same tables give the same bytes: no clock, rows in a fixed order, charts saved without
the matplotlib version in their metadata.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import regex
from tabulate import tabulate

from figcheck import io, schema
from figcheck.config import Config, Tolerances
from figcheck.discrepancies import Analysis, as_date, text_list
from figcheck.quantities import conformed, ensure

CHARTS_EXTRA = "pip install 'figcheck[charts]'"
CHARTS_FOLDER = "charts"  # inside the report's folder
_MD_SPECIAL = regex.compile(r"([\\`*_\[\]|#~])")
_SLUG_DROP = regex.compile(r"[^\p{L}\p{N}\s-]")


def escape(text: Any) -> str:
    """``text`` safe inside a markdown table cell: one line, no markup, no HTML."""
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return ""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def figure(value: float | None) -> str:
    """A number as the report prints it.

    >>> figure(11000.0), figure(1.5), figure(float("inf")), figure(None)
    ('11,000', '1.5', '∞', '–')
    >>> figure(1.5e6), figure(156.5e9), figure(1234567.0)
    ('1.5 million', '156.5 billion', '1,234,567')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    value = float(value)
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(value) >= size and round(value / size, 3) * size == value:
            return f"{value / size:,.3f}".rstrip("0").rstrip(".") + " " + word
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def reads_as(lo: float, hi: float) -> str:
    """An interval as the report prints it.

    >>> reads_as(9950.0, 10050.0), reads_as(600000.0, float("inf")), reads_as(0.0, 10000.0)
    ('9,950–10,050', '≥ 600,000', '≤ 10,000')
    """
    if math.isinf(hi):
        return f"≥ {figure(lo)}"
    if lo == 0:
        return f"≤ {figure(hi)}"
    return f"{figure(lo)}–{figure(hi)}"


def slug(text: str) -> str:
    """The anchor GitHub gives a heading.

    >>> slug("north korean soldiers, first batch")
    'north-korean-soldiers-first-batch'
    """
    return _SLUG_DROP.sub("", text.strip().lower()).replace(" ", "-")


def timeline(claims: pd.DataFrame, quantity: str, *, config: Config | None = None) -> pd.DataFrame:
    """The claims of one quantity in date order, with the columns a reader needs.

    Copies of one claim (wire copy) stay separate rows here; ``copies`` says how many there are.
    """
    claims = ensure(claims, config=config)
    rows = claims[claims["quantity"] == quantity].copy()
    rows["as_of"] = rows["as_of"].where(rows["as_of"].notna(), rows["published"])
    rows = rows.sort_values(["as_of", "doc", "start"], kind="stable")
    columns = ["as_of", "text", "value", "low", "high", "qualifier", "attributed_to", "source",
               "doc", "hedged", "claim_id"]
    return rows[columns].reset_index(drop=True)


# -- rendering -----------------------------------------------------------------------------

def render(claims: pd.DataFrame, *, discrepancies: pd.DataFrame | None = None,
           quantities: pd.DataFrame | None = None, config: Config | None = None,
           charts: dict[str, str] | None = None, charts_note: str | None = None,
           analysis: Analysis | None = None) -> str:
    """The markdown report. ``charts`` maps quantity keys to image paths relative to it.

    ``analysis`` is the claims already read (:class:`figcheck.discrepancies.Analysis`).
    """
    skipped = list(claims.attrs.get("skipped", []))
    articles = claims.attrs.get("articles")
    analysis = analysis or Analysis(claims, config)
    config, claims = analysis.config, analysis.claims
    if discrepancies is None:
        discrepancies = analysis.discrepancies()
    if quantities is None:
        quantities = analysis.summary(discrepancies)
    charts = charts or {}
    per_quantity = analysis.statements
    contested = quantities[quantities["distinct"] > 1]
    once = quantities[quantities["distinct"] <= 1]
    cols = _Columns(claims, per_quantity, contested["quantity"].tolist(), once["quantity"].tolist())
    if articles is None:
        articles = claims["doc"].nunique()

    out: list[str] = ["# Figures and where they disagree", ""]
    out += _read_section(articles, len(claims), quantities, discrepancies, skipped, config)

    anchors = _Anchors()
    out += ["## Quantities", ""]
    if len(contested):
        out += [_SUMMARY_RULES, ""]
        rows = [[f"[{escape(q.quantity)}](#{anchors.get(q.quantity)})", q.claims, q.distinct, q.sources,
                 figure(q.low), figure(q.best), figure(q.high), _day(q.first), _day(q.last), q.trend,
                 q.discrepancies] for q in contested.itertuples()]
        out += [_table(rows, ["quantity", "claims", "distinct", "sources", "low", "best", "high",
                              "first", "last", "trend", "discrepancies"]), ""]
    else:
        out += ["No quantity is stated more than once.", ""]
    if charts_note:
        out += [f"_{escape(charts_note)}_", ""]

    by_quantity = {q: g for q, g in discrepancies.groupby("quantity", sort=False)} if len(discrepancies) else {}
    for q in contested.itertuples():
        out += _quantity_section(q, per_quantity.get(q.quantity, []), by_quantity.get(q.quantity),
                                 cols, charts.get(q.quantity), config.max_pairs)

    if len(once):
        out += ["## Stated once", "",
                "Quantities with a single claim (or copies of one claim): nothing to compare.", ""]
        rows = []
        for q in once.itertuples():
            for s in per_quantity.get(q.quantity, []):
                i = s.rows[0]
                rows.append([escape(q.quantity), _day(cols.as_of[i]), escape(cols.text[i]),
                             escape(cols.attributed_to[i]) or "–", escape(cols.source[i]) or "–",
                             cols.article(i) + _copies(len(s.rows))])
        out += [_table(rows, ["quantity", "date", "figure", "who", "outlet", "article"]), ""]
    return "\n".join(out).rstrip("\n") + "\n"


_SUMMARY_RULES = (
    "Low and high are the lowest and highest figures any claim states (its bounds where it "
    "states them); best is the median of each source's latest figure (a range's middle). "
    "Sources are the distinct people or bodies the figures are attributed to (the outlet when "
    "it speaks in its own voice); copies of one claim count once. Trend compares the median "
    "figure of the last date with that of the first.")


def _read_section(articles: int, n_claims: int, quantities: pd.DataFrame,
                  discrepancies: pd.DataFrame, skipped: list[str], config: Config) -> list[str]:
    tol = config.tolerances
    defaults = tol == Tolerances()
    out = ["## What was read", "",
           f"{_count(articles, 'article')}, {_count(n_claims, 'claim')}, "
           f"{_count(len(quantities), 'quantity', 'quantities')}, "
           f"{_count(len(discrepancies), 'flagged pair')}. Two figures of one quantity disagree "
           f"when their intervals do not overlap: a bare figure ± {_percent(tol.exact)}, about "
           f"± {_percent(tol.about)}, nearly {_percent(tol.nearly)} below to the figure, up to / "
           "under from 0, over / at least upwards, a range its bounds ("
           + ("the defaults; the settings can change them" if defaults else "from the settings")
           + ").", ""]
    if skipped:
        out += [f"{_count(len(skipped), 'file')} skipped:", ""]
        out += [f"- {escape(s)}" for s in sorted(skipped)] + [""]
    else:
        out += ["No file was skipped.", ""]
    return out


def _quantity_section(q, group, pairs: pd.DataFrame | None, cols: "_Columns",
                      chart: str | None, max_pairs: int) -> list[str]:
    out = [f"## {escape(q.quantity)}", ""]
    reasons = cols.reasons.get(q.quantity, {})
    if reasons:
        ranked = sorted(reasons, key=lambda r: (-reasons[r], r))
        out += ["Why these figures go together: " + "; or ".join(
            f"{escape(r)} ({reasons[r]:,} {'claim' if reasons[r] == 1 else 'claims'})" for r in ranked[:3])
            + (f"; and {len(ranked) - 3:,} other reasons" if len(ranked) > 3 else "") + ".", ""]
    if chart:
        out += [f"![timeline of {escape(q.quantity)}]({_link_target(chart)})", ""]
    rows = []
    for s in group:
        i = s.rows[0]
        rows.append([_day(cols.as_of[i]), escape(cols.text[i]) + (" (hedged)" if cols.hedged[i] else ""),
                     reads_as(s.lo, s.hi), escape(cols.attributed_to[i]) or "–",
                     escape(cols.source[i]) or "–", cols.article(i) + _copies(len(s.rows))])
    out += [_table(rows, ["date", "figure", "reads as", "who", "outlet", "article"]), ""]
    if pairs is None or not len(pairs):
        out += ["No two figures disagree.", ""]
        return out
    shown = pairs.sort_values("gap", ascending=False, kind="stable").head(max_pairs)
    rows = []
    for p in shown.itertuples():
        rows.append([p.kind.replace("_", " "),
                     f"{_day(p.as_of_a)} {_who(p.attributed_to_a, p.source_a)}: {escape(p.text_a)}",
                     f"{_day(p.as_of_b)} {_who(p.attributed_to_b, p.source_b)}: {escape(p.text_b)}",
                     f"{p.gap:.0%}" if math.isfinite(p.gap) else "∞",
                     "yes" if p.hedged else ""])
    out += [_count(len(pairs), "flagged pair") + (f", the {len(shown)} widest shown" if len(shown) < len(pairs) else "")
            + ":", ""]
    out += [_table(rows, ["kind", "earlier", "later", "gap", "hedged"]), ""]
    return out


class _Columns:
    """What the report prints of the claims, read for the rows it prints only (each
    statement's earliest copy: a table of many copies has far fewer), each column a dict
    by row number; and per quantity with more than one statement, how many of its rows
    each grouping reason gave (``reasons``)."""

    def __init__(self, claims: pd.DataFrame, per_quantity: dict, contested: list[str],
                 once: list[str]):
        shown = sorted({s.rows[0] for quantity in (*contested, *once)
                        for s in per_quantity.get(quantity, [])})
        part = claims[["text", "doc", "source", "attributed_to", "url", "hedged", "as_of",
                       "published"]].take(shown)
        self.text, self.doc, self.source, self.attributed_to, self.url = (
            dict(zip(shown, text_list(part[name])))
            for name in ("text", "doc", "source", "attributed_to", "url"))
        self.hedged = dict(zip(shown, part["hedged"].tolist()))
        as_of = part["as_of"]
        as_of = as_of.where(as_of.notna(), part["published"])
        if as_of.dtype.kind == "M":
            # As days (datetime.date, None where missing): what _day prints of them.
            self.as_of = dict(zip(shown, as_of.to_numpy(dtype="datetime64[D]").tolist()))
        else:
            self.as_of = dict(zip(shown, as_of.tolist()))
        self.reasons = _reasons(claims["quantity_reason"], per_quantity, contested)

    def article(self, i: int) -> str:
        name = escape(self.doc[i])
        url = self.url[i]
        if url.startswith(("http://", "https://")) and not regex.search(r"[\s<>]", url):
            return f"[{name}]({_link_target(url)})"
        return name


def _reasons(reason: pd.Series, per_quantity: dict,
             quantities: list[str]) -> dict[str, dict[str, int]]:
    """Per quantity, how many of its rows each non-empty reason was given for, counted
    without reading the reasons of every row into Python."""
    rows = [[i for s in per_quantity.get(quantity, []) for i in s.rows] for quantity in quantities]
    if not any(rows):
        return {}
    owner = np.repeat(np.arange(len(quantities)), [len(r) for r in rows])
    taken = pd.DataFrame({"owner": owner, "reason": reason.take(
        np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=len(owner))).array})
    taken = taken[taken["reason"].notna() & (taken["reason"] != "")]
    out: dict[str, dict[str, int]] = {}
    for (k, text), count in taken.value_counts(sort=False).items():
        out.setdefault(quantities[k], {})[str(text)] = int(count)
    return out


class _Anchors:
    """Heading anchors as GitHub numbers repeated ones."""

    def __init__(self):
        self.seen: dict[str, int] = {"what-was-read": 1, "quantities": 1, "stated-once": 1}
        self.given: dict[str, str] = {}

    def get(self, heading: str) -> str:
        if heading not in self.given:
            base = slug(escape(heading).replace("\\", ""))
            n = self.seen.get(base, 0)
            self.seen[base] = n + 1
            self.given[heading] = base if n == 0 else f"{base}-{n}"
        return self.given[heading]


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.2f}".rstrip("0").rstrip(".") + " %"


def _who(attributed_to, source) -> str:
    """Who stands behind a figure: the attributed source, else the outlet."""
    return escape(attributed_to) or escape(source) or "–"


def _link_target(target: str) -> str:
    """A URL or path as the target of a markdown link: percent-encoded but for the
    characters URLs are made of, so that ``|``, brackets, parentheses, backticks, angle
    brackets and spaces cannot end the link or a table cell.

    >>> _link_target("https://x.example/a b)|[c](d)?q=1&r=%20")
    'https://x.example/a%20b%29%7C%5Bc%5D%28d%29?q=1&r=%20'
    """
    return quote(target, safe="/:?#&=%+,;@!$*'~-._")


def _copies(n: int) -> str:
    return f" (and {n - 1:,} copies)" if n > 2 else (" (and 1 copy)" if n == 2 else "")


def _day(value) -> str:
    day = as_date(value)
    return day.isoformat() if day is not None else "–"


def _table(rows: list[list], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


# -- charts ------------------------------------------------------------------------------

def charts_available() -> bool:
    """Whether matplotlib can be imported (the ``charts`` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def timeline_png(claims: pd.DataFrame, quantity: str, *, config: Config | None = None) -> bytes:
    """A PNG of one quantity's figures over time, one marker per source, bounds as bars.

    Needs matplotlib (``pip install 'figcheck[charts]'``); the bytes do not depend on its version.
    """
    try:
        import matplotlib
        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"timeline charts need matplotlib: {CHARTS_EXTRA}") from None
    import io as _io

    rows = timeline(claims, quantity, config=config)
    fig = Figure(figsize=(7, 3.2), dpi=100)
    ax = fig.add_subplot()
    who = (rows["attributed_to"].fillna(rows["source"]).fillna("unattributed")).astype(str)
    for name in sorted(set(who)):
        part = rows[who == name]
        x = pd.to_datetime(part["as_of"]).to_numpy()
        centre = part["value"].where(part["value"].notna(), (part["low"] + part["high"]) / 2)
        centre = centre.where(centre.notna(), part["low"])
        low = part["low"].where(part["low"].notna(), centre)
        high = part["high"].where(part["high"].notna() & ~part["high"].isin([math.inf]), centre)
        ax.errorbar(x, centre, yerr=[(centre - low).clip(lower=0), (high - centre).clip(lower=0)],
                    fmt="o", capsize=3, label=name)
    ax.set_title(quantity, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = _io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# -- files ---------------------------------------------------------------------------------

def write(claims: pd.DataFrame, folder: str | os.PathLike, *, config: Config | None = None) -> dict[str, str]:
    """Write the report, the claims table and the discrepancies table into ``folder``.

    Files: ``discrepancies.md``, ``claims.csv``, ``discrepancies.csv``, and
    ``charts/<quantity>.png`` per quantity with discrepancies when matplotlib is installed
    and ``config.charts`` is on. Returns the paths written by name, and ``charts_note`` when
    charts were not drawn.
    """
    config = config or Config()
    folder = Path(folder)
    attrs = dict(claims.attrs)
    claims = ensure(claims, config=config)
    made_folders = _missing_folders([folder, folder / CHARTS_FOLDER])
    try:
        written = _write_staged(claims, attrs, folder, config)
    except BaseException:
        # A failed report leaves the folder as it found it: the files of a report before,
        # or no folder at all where there was none.
        _remove_if_empty(made_folders)
        raise
    if "charts_note" in written:
        written["charts_note"] = written.pop("charts_note")  # last, as it always came
    return written


def _write_staged(claims: pd.DataFrame, attrs: dict, folder: Path, config: Config) -> dict[str, str]:
    """Every file of the report made under a temporary name, then all put in place, so
    that an error on the way leaves none of them half-written or mixed with an older run's."""
    with contextlib.ExitStack() as staged_files, \
            concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        # The claims table's CSV is made in a thread while this one analyses the claims and
        # renders the report: Arrow, which makes it, works without the interpreter's lock.
        claims_csv = pool.submit(io.staged_table, conformed(claims), folder / "claims.csv")
        try:
            written, markdown, disc, charts = _analyse_and_render(claims, attrs, folder, config)
            staged = [staged_files.enter_context(io.StagedFile(folder / relative, [png]))
                      for relative, png in charts.items()]
            staged.append(staged_files.enter_context(claims_csv.result()))
            staged.append(staged_files.enter_context(
                io.staged_table(disc, folder / "discrepancies.csv")))
            staged.append(staged_files.enter_context(
                io.StagedFile(folder / "discrepancies.md", [markdown.encode("utf-8")])))
        except BaseException:
            # Removed once made, even when a second Ctrl-C cuts short the wait for it.
            claims_csv.add_done_callback(_discard_staged)
            raise
        for file in staged:
            file.commit()
    written.update({"claims": str(folder / "claims.csv"),
                    "discrepancies": str(folder / "discrepancies.csv"),
                    "report": str(folder / "discrepancies.md")})
    return written


def _missing_folders(folders: list[Path]) -> list[Path]:
    """The folders, and their parents, that do not exist yet: the deepest first."""
    missing: set[Path] = set()
    for folder in folders:
        folder = folder.absolute()
        while not folder.exists() and folder != folder.parent:
            missing.add(folder)
            folder = folder.parent
    return sorted(missing, key=lambda path: len(path.parts), reverse=True)


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass  # not made after all, or holding what someone else put there


def _discard_staged(made: concurrent.futures.Future) -> None:
    if not made.cancelled() and made.exception() is None:
        made.result().discard()  # (an error in making it is not the one to tell)


def _analyse_and_render(claims: pd.DataFrame, attrs: dict, folder: Path, config: Config
                        ) -> tuple[dict[str, str], str, pd.DataFrame, dict[str, bytes]]:
    """The paths of the charts by name, the markdown report, the discrepancies table, and
    each chart's PNG by its path relative to ``folder``."""
    analysis = Analysis(claims, config)
    claims = analysis.claims
    claims.attrs.update(attrs)
    disc = analysis.discrepancies()
    summary = analysis.summary(disc)
    written: dict[str, str] = {}
    charts: dict[str, str] = {}
    pngs: dict[str, bytes] = {}
    note = None
    contested = [q for q in summary.itertuples() if q.discrepancies > 0]
    if contested and not config.charts:
        note = "Timeline charts are off (report.charts = false in the settings)."
    elif contested and not charts_available():
        note = f"Timeline charts are not drawn: matplotlib is not installed ({CHARTS_EXTRA})."
    elif contested:
        names: dict[str, int] = {}
        for q in contested:
            base = slug(q.quantity)[:80] or "quantity"
            names[base] = names.get(base, 0) + 1
            name = base if names[base] == 1 else f"{base}-{names[base]}"
            relative = f"{CHARTS_FOLDER}/{name}.png"
            pngs[relative] = timeline_png(claims, q.quantity, config=config)
            charts[q.quantity] = relative
            written[f"chart {q.quantity}"] = str(folder / relative)
    markdown = render(claims, discrepancies=disc, quantities=summary, charts=charts,
                      charts_note=note, analysis=analysis)
    if note:
        written["charts_note"] = note
    return written, markdown, disc, pngs
