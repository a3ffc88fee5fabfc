"""The rule files: every rule's inline examples fire it, its counterexamples do not.

``claims.explain(text, published)`` names the rules that fired on a text (those that made
rows and the exclusions that rejected a number); ``sources.explain(text)`` does the same
for ``sources.toml``. Examples run with the publication date of their file's
``[meta] published`` (no clock in tests).

Rule examples the engine gets wrong today are listed in ``KNOWN_FAILURES`` with the reason
and run as ``xfail(strict=True)``: a fix makes the test XPASS, which fails, so the entry is
removed in the same change. Never weaken an example to make it pass.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from figcheck import claims, rules, sources
from figcheck.article import Article

BOOK = rules.load()

#: test id -> why the engine misses it (see the module docstring).
KNOWN_FAILURES: dict[str, str] = {
    # Engine misses: the rule should fire and does not.
    "attribution.toml::ATTR-DOCUMENT::example-0":
        "'The data divides ...' has no speech verb, so the document's owner (Kiel Institute) is never"
        " looked up: the $26.4 billion row is unattributed",
    "entities.toml::ENT-TURKISH::example-0":
        "'people died in Turkey': no entity is taken from a place after the predicate",
    "entities.toml::ENT-LIBYAN::example-0":
        "'Libyan officials counted 3,000 deaths': a demonym inside the speaker phrase is skipped",
    "exclusions.toml::EXCL-TEMPERATURE::example-1":
        "'10°C': the (?![\\w]) after the degree sign fails on the C, so 10 becomes a row",
    "numbers.toml::NUM-RANGE::example-0":
        "EXCL-DATE-NUMERIC's after-pattern [\\p{Pd}/]\\d{1,4}(?!,\\d) matches '-1' of '-12,000',"
        " so the range 10,000-12,000 is dropped as a date",
    "exclusions.toml::EXCL-DATE-NUMERIC::counterexample-0":
        "same bug: '10,000-12,000 troops' is excluded as a numeric date",
    "speakers.toml::SPK-AP::example-0":
        "'the Associated Press reported' is skipped as if it were 'the press reported': no attribution",
    "speakers.toml::SPK-WAPO::example-0":
        "attributed_to is right only by accident: 'Washington Post' is read as a person's name"
        " (kind person, rule ATTR-SAID), so SPK-WAPO never applies and 'the newspaper' cannot carry it",
    "speakers.toml::SPK-NYT::example-0":
        "as SPK-WAPO: 'The New York Times' is taken as a person's name, not the known outlet",
    # Example and engine disagree on which rule is named: the outcome is right.
    "attribution.toml::ATTR-QUOTE::example-0":
        "a 4-word quotation is below claims._MIN_QUOTE_WORDS (7) and treated as scare quotes;"
        " NIS is found through ATTR-TRAILING instead",
    "exclusions.toml::EXCL-DECADE::example-0":
        "EXCL-YEAR comes first and excludes '1990' (explain reports the first exclusion only)",
    "exclusions.toml::EXCL-DOCUMENT::example-2":
        "EXCL-DESIGNATION comes first and excludes 'MH17'",
    "exclusions.toml::EXCL-CALIBRE::example-0":
        "EXCL-DESIGNATION comes first and excludes '155mm'",
    "exclusions.toml::EXCL-FRACTION::example-3":
        "EXCL-DATE-NUMERIC comes first and excludes '3/4'",
    "exclusions.toml::EXCL-URL::example-0":
        "EXCL-DATE-NUMERIC / EXCL-DESIGNATION come first on the digits of the address",
}


def _published(stem: str) -> str | None:
    return BOOK.files.get(stem, {}).get("meta", {}).get("published")


def _fired(rule: rules.Rule, text: str) -> set[str]:
    if rule.file == "sources.toml":
        return sources.explain(text)
    return claims.explain(text, _published(rule.file[:-len(".toml")]))


def _cases(kind: str) -> list:
    params = []
    for rule in BOOK.all_rules():
        texts = rule.examples if kind == "example" else rule.counterexamples
        for i, text in enumerate(texts):
            test_id = f"{rule.file}::{rule.id}::{kind}-{i}"
            marks = ()
            if test_id in KNOWN_FAILURES:
                marks = (pytest.mark.xfail(reason=KNOWN_FAILURES[test_id], strict=True),)
            params.append(pytest.param(rule, text, id=test_id, marks=marks))
    return params


@pytest.mark.parametrize("rule, text", _cases("example"))
def test_example_fires_its_rule(rule, text):
    fired = _fired(rule, text)
    assert rule.id in fired, f"{rule.id} did not fire on {text!r}; fired: {sorted(fired)}"


@pytest.mark.parametrize("rule, text", _cases("counterexample"))
def test_counterexample_does_not_fire_its_rule(rule, text):
    fired = _fired(rule, text)
    assert rule.id not in fired, f"{rule.id} fired on its counterexample {text!r}; fired: {sorted(fired)}"


def test_known_failures_name_existing_tests():
    """A stale KNOWN_FAILURES entry (rule renamed, example removed) would hide nothing."""
    ids = {p.id for p in _cases("example") + _cases("counterexample")}
    assert not set(KNOWN_FAILURES) - ids, sorted(set(KNOWN_FAILURES) - ids)


def _note(rule: rules.Rule) -> str:
    # ``note`` is not kept in Rule.data, so read it from the parsed file.
    for raw in BOOK.files[rule.file[:-len(".toml")]].get("rule", []):
        if raw.get("id") == rule.id:
            return str(raw.get("note", ""))
    return ""


def test_every_rule_has_an_example():
    """A rule without examples must say why in its note, with the words "no example"."""
    missing = [f"{rule.file}::{rule.id}" for rule in BOOK.all_rules()
               if not rule.examples and not re.search(r"(?i)\bno\s+examples?\b", _note(rule))]
    assert not missing, "rules with no example and no note saying why:\n  " + "\n  ".join(missing)


def test_rule_ids_are_unique():
    counts = Counter(rule.id for rule in BOOK.all_rules())
    assert not [rule_id for rule_id, n in counts.items() if n > 1]


def test_a_repeated_rule_id_is_refused(tmp_path):
    taken = next(iter(BOOK.all_rules()))
    (tmp_path / "speakers.toml").write_text(
        f'[[rule]]\nid = "{taken.id}"\ncanonical = "X"\nkind = "person"\naliases = ["X"]\n', encoding="utf-8")
    with pytest.raises(rules.RuleError, match=taken.id):
        rules.load(extra_dirs=(str(tmp_path),))


def test_rule_files_are_well_formed():
    """Every rule names its file, and every examples list holds non-empty strings."""
    problems = []
    for rule in BOOK.all_rules():
        if not rule.file.endswith(".toml"):
            problems.append(f"{rule.id}: file {rule.file!r}")
        for text in rule.examples + rule.counterexamples:
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{rule.file}::{rule.id}: empty example {text!r}")
        stem = rule.file[:-len(".toml")]
        published = _published(stem)
        if published is not None:
            dt.date.fromisoformat(published)
    assert not problems, problems


# -- the rule version and a user's own rule files ---------------------------------------

USER_SPEAKERS = """
[[rule]]
id = "SPK-USER-SPY-CHIEF"
canonical = "Budanov"
kind = "person"
aliases = ["Ukraine's spy chief", "Ukraine\u2019s spy chief"]
examples = ["Ukraine's spy chief said 11,000 North Korean soldiers were in Kursk."]
counterexamples = []
"""
USER_SENTENCE = "Ukraine's spy chief said 11,000 North Korean soldiers were in Kursk."

# rules.load is cached on its argument; __wrapped__ reads the files again, as a new
# process would, without clearing the cache other tests rely on.
_load_uncached = rules.load.__wrapped__


def test_rule_version_is_stable_and_follows_the_files(tmp_path):
    assert _load_uncached().version == BOOK.version

    user = tmp_path / "speakers.toml"
    user.write_text(USER_SPEAKERS, encoding="utf-8")
    first = _load_uncached(extra_dirs=(str(tmp_path),)).version
    assert first != BOOK.version, "a user's rule file must change the version"
    assert _load_uncached(extra_dirs=(str(tmp_path),)).version == first, "same files, same version"

    user.write_text(USER_SPEAKERS.replace("Ukraine's spy chief\"", "Kyiv's spy chief\""), encoding="utf-8")
    assert _load_uncached(extra_dirs=(str(tmp_path),)).version != first, "an edited rule file must change it"

    user.write_text(USER_SPEAKERS, encoding="utf-8")
    assert _load_uncached(extra_dirs=(str(tmp_path),)).version == first


def test_user_speakers_file_adds_an_alias(tmp_path):
    (tmp_path / "speakers.toml").write_text(USER_SPEAKERS, encoding="utf-8")
    book = rules.load(extra_dirs=(str(tmp_path),))

    added = [r for r in book.of("speakers") if r.id == "SPK-USER-SPY-CHIEF"]
    assert added and added[0].file == "speakers.toml"
    assert {r.id for r in BOOK.of("speakers")} < {r.id for r in book.of("speakers")}
    assert "SPK-USER-SPY-CHIEF" not in {r.id for r in BOOK.all_rules()}, "the built-in book is unchanged"

    # Without the user's file the phrase is not Budanov ...
    article = Article(doc="user", text=USER_SENTENCE, published=dt.date(2024, 10, 22))
    default_rows = claims.engine().extract(article)
    assert [r["attributed_to"] for r in default_rows] != ["Budanov"]
    # ... with it, it is. The public API (figcheck.extract, extract_text, claims.explain)
    # has no way to pass a user's rule folder, so this builds an engine on the extended book.
    rows = claims.Engine(book).extract(Article(doc="user", text=USER_SENTENCE, published=dt.date(2024, 10, 22)))
    assert [(r["value"], r["attributed_to"]) for r in rows] == [(11000, "Budanov")]
    assert "SPK-USER-SPY-CHIEF" in rows[0]["rule_ids"].split()
