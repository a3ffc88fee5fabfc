"""Claims → quantity keys: which figures measure the same thing.

A key is ``"<entity> <unit>"`` followed by the scopes that the rules of
``figcheck/rules/quantities.toml`` find in a window of words around the figure
(``"north korean soldiers, first batch"``). The engine knows no words: the windows, patterns,
scopes and policies are data in that file. Each claim also gets a ``quantity_reason`` that
says how its key was made, naming the rules.

What the engine does, in order, for each claim:

1. the unit and entity, spelled as the keys spell them (``[values.qty_unit]``,
   ``[values.qty_entity]``);
2. when the claim has no entity, the policy rules: take the article's main entity
   (``carry_entity``) unless the sentence gives another figure of the same unit an owner,
   else keep the claim to its article (``article_scope``);
3. the scope rules, in file order, each over its own window of the sentence;
4. the project's settings (:mod:`figcheck.config`): splits, then names and merges.

Claims with identical sentences (wire copy) get identical keys: the windows depend only on
the sentence, and the carried entity on the article's own claims.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import pandas as pd
import regex

from figcheck import pattern_store, rules, schema
from figcheck.config import Config

_STEM = "quantities"
_NAMED = regex.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class _ScopeRule:
    id: str
    pattern: regex.Pattern
    unless: regex.Pattern | None
    scope: str
    where: str
    before: int
    after: int
    clause_before: bool
    clause_after: bool
    units: frozenset[str] | None
    except_units: frozenset[str]
    all: bool

    def applies_to(self, unit: str) -> bool:
        if self.units is not None and unit not in self.units:
            return False
        return unit not in self.except_units


@dataclass(frozen=True)
class _Found:
    scope: str
    rule_id: str
    words: str


class Engine:
    """The quantity rules of one rule book, compiled once."""

    def __init__(self, book: rules.RuleBook):
        values = book.table(_STEM, "values")
        self.unit_alias = {str(k).lower(): str(v) for k, v in values.get("qty_unit", {}).items()}
        self.entity_alias = {str(k).lower(): str(v) for k, v in values.get("qty_entity", {}).items()}
        self.clause_break = book.compile("{qty_clause_break}")
        #: What :meth:`scopes` found, by (sentence, text, position, unit), kept from one
        #: table to the next (a worker derives the keys of many small tables): wire copy
        #: repeats its sentences across articles. Emptied when it holds FOUND_CACHE_SIZE.
        self.found: dict[tuple, list[_Found]] = {}
        self.scope_rules: list[_ScopeRule] = []
        self.carry_rule: str | None = None
        self.article_rule: tuple[str, str] | None = None
        for rule in book.of(_STEM):
            action = rule.get("action")
            if action == "carry_entity":
                self.carry_rule = rule.id
            elif action == "article_scope":
                self.article_rule = (rule.id, str(rule.get("scope", "in article {doc}")))
            elif action is not None:
                raise rules.RuleError(f"quantities.toml: {rule.id}: unknown action {action!r}")
            else:
                self.scope_rules.append(self._scope_rule(book, rule))

    @staticmethod
    def _scope_rule(book: rules.RuleBook, rule: rules.Rule) -> _ScopeRule:
        if not rule.pattern or not rule.get("scope"):
            raise rules.RuleError(f"quantities.toml: {rule.id} needs a pattern and a scope")
        where = rule.get("where", "around")
        if where not in ("text", "before", "after", "around"):
            raise rules.RuleError(f"quantities.toml: {rule.id}: where = {where!r} "
                                  "(text, before, after or around)")
        clause = rule.get("clause", True)
        if clause not in (True, False, "before", "after"):
            raise rules.RuleError(f"quantities.toml: {rule.id}: clause = {clause!r} "
                                  "(true, false, \"before\" or \"after\")")

        def unit_set(value):
            if value is None:
                return None
            if isinstance(value, str):
                if value not in book.lists:
                    raise rules.RuleError(f"quantities.toml: {rule.id}: no list {value!r}")
                value = book.lists[value]
            return frozenset(str(v) for v in value)

        unless = rule.get("unless")
        return _ScopeRule(
            id=rule.id,
            pattern=book.compile(rule.pattern),
            unless=book.compile(unless) if unless else None,
            scope=str(rule.get("scope")),
            where=where,
            before=int(rule.get("before", 0)),
            after=int(rule.get("after", 0)),
            clause_before=clause in (True, "before"),
            clause_after=clause in (True, "after"),
            units=unit_set(rule.get("units")),
            except_units=unit_set(rule.get("except_units")) or frozenset(),
            all=bool(rule.get("all", False)),
        )

    # -- the parts of a key ---------------------------------------------------------------

    def unit(self, unit: str) -> str:
        unit = " ".join(unit.lower().split())
        return self.unit_alias.get(unit, unit)

    def entity(self, entity: str) -> str:
        entity = " ".join(entity.lower().split())
        return self.entity_alias.get(entity, entity)

    def scopes(self, sentence: str, at: int, text: str, unit: str) -> list[_Found]:
        """The scopes the rules find around ``text``, which starts at ``at`` in ``sentence``."""
        found: list[_Found] = []
        windows: dict[tuple, str] = {}
        for rule in self.scope_rules:
            if not rule.applies_to(unit):
                continue
            window_key = (rule.where, rule.before, rule.after, rule.clause_before, rule.clause_after)
            window = windows.get(window_key)
            if window is None:
                window = windows[window_key] = self._window(sentence, at, text, rule)
            if not window or (rule.unless is not None
                              and rule.unless.search(window) is not None):
                continue
            matches = rule.pattern.finditer(window) if rule.all else filter(
                None, [rule.pattern.search(window)])
            for match in matches:
                scope = _fill(rule.scope, match.groupdict())
                if scope and all(f.scope != scope for f in found):
                    found.append(_Found(scope, rule.id, " ".join(match.group(0).split())))
        return found

    def _window(self, sentence: str, at: int, text: str, rule: _ScopeRule) -> str:
        parts = []
        # "military aid ($5 billion)": a figure in parentheses measures the words before them,
        # and nothing after them.
        in_parentheses = at > 0 and sentence[:at].rstrip().endswith("(")
        if rule.where in ("before", "around") and rule.before and at >= 0:
            before = sentence[:at].rstrip()
            if in_parentheses:
                before = before[:-1]
            if rule.clause_before:
                last = None
                for last in self.clause_break.finditer(before):
                    pass
                if last is not None:
                    before = before[last.end():]
            parts.append(" ".join(before.split()[-rule.before:]))
        if rule.where in ("text", "around"):
            parts.append(text)
        if rule.where in ("after", "around") and rule.after and at >= 0 and not in_parentheses:
            after = sentence[at + len(text):].lstrip()
            if rule.clause_after:
                stop = self.clause_break.search(after)
                if stop is not None:
                    after = after[:stop.start()]
            parts.append(" ".join(after.split()[:rule.after]))
        return " ".join(p for p in parts if p)


def _fill(template: str, groups: dict[str, str | None]) -> str:
    def value(match: regex.Match) -> str:
        return " ".join((groups.get(match.group(1)) or "").lower().split())
    return _NAMED.sub(value, template).strip()


def engine(rule_dirs: Iterable[str] = ()) -> Engine:
    """The engine for the built-in rule files and the user's ``rule_dirs``, cached."""
    book = rules.load(tuple(rule_dirs))
    cached = _ENGINES.get(book.version)
    if cached is None:
        cached = _ENGINES[book.version] = Engine(book)
        pattern_store.store.save()  # (its patterns, for the next run)
    return cached


_ENGINES: dict[str, Engine] = {}
#: Entries of an engine's cache of scopes found (:attr:`Engine.found`) before it is emptied.
FOUND_CACHE_SIZE = 20_000


# -- the claims table ---------------------------------------------------------------------

def assign(claims: pd.DataFrame, *, config: Config | None = None,
           rule_dirs: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``claims`` with ``quantity`` and ``quantity_reason`` derived for every row.

    ``config`` (default: figcheck's defaults) adds its rule folders, splits, names and merges.
    """
    config = config or Config()
    keys, reasons, _ = _derive(claims, config, tuple(rule_dirs) + config.rule_dirs)
    out = conformed(claims)
    out["quantity"] = pd.array(keys, dtype="string")
    out["quantity_reason"] = pd.array(reasons, dtype="string")
    return out


def conformed(frame: pd.DataFrame, columns: tuple[schema.Column, ...] = schema.CLAIMS) -> pd.DataFrame:
    """``schema.conform(frame)``, at no cost when ``frame`` already has the declared columns
    in order with their dtypes (as the frames figcheck makes do)."""
    names = schema.names(columns)
    if list(frame.columns[:len(names)]) == names and all(
            str(dtype) == column.dtype for dtype, column in zip(frame.dtypes.iloc[:len(names)].tolist(), columns)) \
            and isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 and frame.index.step == 1:
        return frame.copy(deep=False)
    return schema.conform(frame, columns)


def ensure(claims: pd.DataFrame, *, config: Config | None = None,
           rule_dirs: Iterable[str] = ()) -> pd.DataFrame:
    """``claims`` conformed, with keys derived only where ``quantity`` is empty.

    Keys already in the table (derived before, or set by hand in a CSV) are kept.
    """
    claims = conformed(claims)
    missing = claims["quantity"].isna()
    if not missing.any():
        return claims
    if missing.all():
        return assign(claims, config=config, rule_dirs=rule_dirs)
    filled = assign(claims, config=config, rule_dirs=rule_dirs)
    out = claims.copy()
    out.loc[missing, "quantity"] = filled.loc[missing, "quantity"]
    out.loc[missing, "quantity_reason"] = filled.loc[missing, "quantity_reason"]
    return out


def explain(text: str, published: str | dt.date | None = None,
            rule_dirs: Iterable[str] = ()) -> set[str]:
    """Ids of the quantity rules that fire on the claims of ``text``."""
    from figcheck.api import extract_text  # the API wires claims → quantities; import late

    claims = extract_text(text, published, rule_dirs=rule_dirs, quantities=False)
    _, _, fired = _derive(claims, Config(), tuple(rule_dirs))
    return set().union(*fired) if fired else set()


def _strings(frame: pd.DataFrame, name: str) -> list[str]:
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
            for v in frame[name].tolist()]


def _derive(claims: pd.DataFrame, config: Config, rule_dirs: tuple[str, ...]):
    eng = engine(rule_dirs)
    n = len(claims)
    docs = _strings(claims, "doc")
    sentences = _strings(claims, "sentence")
    texts = _strings(claims, "text")
    units = [eng.unit(u) for u in _strings(claims, "unit")]
    entities = [eng.entity(e) for e in _strings(claims, "entity")]
    starts = claims["start"].tolist() if "start" in claims.columns else list(range(n))

    # Where each figure stands in its sentence; the k-th claim of a sentence with the same
    # text takes the k-th occurrence (offsets in the article order them).
    order = sorted(range(n), key=lambda i: (docs[i], _int(starts[i]), i))
    seen: Counter = Counter()
    at = [-1] * n
    for i in order:
        text = " ".join(texts[i].split())
        texts[i] = text
        occurrence = seen[(docs[i], sentences[i], text)]
        seen[(docs[i], sentences[i], text)] += 1
        pos = -1
        for _ in range(occurrence + 1):
            pos = sentences[i].find(text, pos + 1)
            if pos < 0:
                break
        at[i] = pos

    # The article's main entity: the most frequent among its claims, the earliest on a tie.
    counts: dict[str, Counter] = {}
    first_at: dict[tuple[str, str], int] = {}
    owned_units: set[tuple[str, str, str]] = set()  # (doc, sentence, unit) with an entity
    for i in order:
        if entities[i]:
            counts.setdefault(docs[i], Counter())[entities[i]] += 1
            first_at.setdefault((docs[i], entities[i]), _int(starts[i]))
            owned_units.add((docs[i], sentences[i], units[i]))
    main_entity = {doc: min(c, key=lambda e: (-c[e], first_at[(doc, e)], e)) for doc, c in counts.items()}

    cache = eng.found
    done: dict[tuple, tuple[str, str, set[str]]] = {}
    keys: list[str] = []
    reasons: list[str] = []
    fired: list[set[str]] = []
    for i in range(n):
        # Copies of a sentence (wire copy) come out the same: look the whole result up.
        if entities[i]:
            owner: tuple = ("text", entities[i])
        elif eng.carry_rule and (docs[i], sentences[i], units[i]) not in owned_units \
                and docs[i] in main_entity:
            owner = ("carried", main_entity[docs[i]])
        else:
            owner = ("article", docs[i])
        whole_key = (sentences[i], texts[i], at[i], units[i], owner)
        result = done.get(whole_key)
        if result is not None:
            keys.append(result[0])
            reasons.append(result[1])
            fired.append(result[2])
            continue
        unit, entity, why, ids = units[i], entities[i], [], set()
        scope_before: list[str] = []
        if entity:
            why.append(f"entity {entity} from the text")
        elif eng.carry_rule and (docs[i], sentences[i], unit) not in owned_units and docs[i] in main_entity:
            entity = main_entity[docs[i]]
            why.append(f"entity {entity} carried from the article ({eng.carry_rule})")
            ids.add(eng.carry_rule)
        elif eng.article_rule:
            rule_id, template = eng.article_rule
            scope_before.append(_fill(template, {"doc": docs[i]}) if "{doc}" in template else template)
            why.append(f"no entity: kept to its article ({rule_id})")
            ids.add(rule_id)
        why.append(f"unit {unit or '(none)'}")
        cache_key = (sentences[i], texts[i], at[i], unit)
        found = cache.get(cache_key)
        if found is None:
            if len(cache) >= FOUND_CACHE_SIZE:
                cache.clear()
            found = cache[cache_key] = eng.scopes(sentences[i], at[i], texts[i], unit)
        for f in found:
            why.append(f'{f.scope} ({f.rule_id}: "{f.words}")')
            ids.add(f.rule_id)
        head = " ".join(p for p in (entity, unit) if p) or "figures"
        key = ", ".join([head, *[f.scope for f in found], *scope_before])
        for split in config.splits:
            if split.quantity == key and split.matches(sentences[i]):
                why.append(f"split off as {split.name!r} by {_where(config)}: /{split.when}/")
                key = split.name
                break
        name = config.name_of(key)
        if name is not None:
            why.append(f"{key!r} named {name!r} by {_where(config)}")
            key = name
        done[whole_key] = (key, "; ".join(why), ids)
        keys.append(key)
        reasons.append(done[whole_key][1])
        fired.append(ids)
    return keys, reasons, fired


def _where(config: Config) -> str:
    return config.path.replace("\\", "/").rsplit("/", 1)[-1] if config.path else "the settings"


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
