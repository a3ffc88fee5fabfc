"""The rule files: every rule's inline examples fire it, its counterexamples do not.

``claims.explain(text, published)`` names the rules that fired on a text (those that made
rows and the exclusions that rejected a number); ``sources.explain(text)`` does the same
for ``sources.toml``, and ``figcheck.quantities.explain(text, published)`` for the quantity
rules of ``quantities.toml`` (the rules that shaped the quantity keys of the text's claims). Examples run with the publication date of their file's
``[meta] published`` (no clock in tests).

Rule examples the engine gets wrong today are listed in ``KNOWN_FAILURES`` with the reason
and run as ``xfail(strict=True)``: a fix makes the test XPASS, which fails, so the entry is
removed in the same change. Never weaken an example to make it pass.
"""
from __future__ import annotations

import datetime as dt
import importlib
import re
from collections import Counter
from pathlib import Path

import pytest
import regex

import figcheck
from figcheck import claims, rules, sources
from figcheck.article import Article

BOOK = rules.load()

#: test id -> why the engine misses it (see the module docstring).
KNOWN_FAILURES: dict[str, str] = {
    # Engine misses: the rule should fire and does not.
    # Example and engine disagree on which rule is named: the outcome is right.
    "attribution.toml::ATTR-QUOTE::example-0":
        "a 4-word quotation is below claims._MIN_QUOTE_WORDS (7) and treated as scare quotes;"
        " NIS is found through ATTR-TRAILING instead",
}


def _published(stem: str) -> str | None:
    return BOOK.files.get(stem, {}).get("meta", {}).get("published")


def _fired(rule: rules.Rule, text: str) -> set[str]:
    if rule.file == "sources.toml":
        return sources.explain(text)
    if rule.file == "quantities.toml":
        # figcheck.quantities is the API function; the module is reached by name.
        quantities = importlib.import_module("figcheck.quantities")
        return quantities.explain(text, _published("quantities"))
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

def test_rule_version_is_stable_and_follows_the_files(tmp_path):
    assert rules.load().version == BOOK.version
    _load_uncached = rules.load

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
    default_rows = figcheck.extract_text(USER_SENTENCE, "2024-10-22")
    assert list(default_rows["attributed_to"].fillna("")) != ["Budanov"]
    # ... with it, it is.
    rows = figcheck.extract_text(USER_SENTENCE, "2024-10-22", rule_dirs=[str(tmp_path)])
    assert [(r.value, r.attributed_to) for r in rows.itertuples()] == [(11000, "Budanov")]
    assert "SPK-USER-SPY-CHIEF" in rows["rule_ids"][0].split()
    assert "SPK-USER-SPY-CHIEF" in claims.explain(USER_SENTENCE, "2024-10-22", rule_dirs=[str(tmp_path)])


def _triggered_rules() -> list:
    return [pytest.param(rule, id=f"{rule.file}::{rule.id}")
            for rule in BOOK.all_rules() if rule.get("triggers") and rule.pattern]


@pytest.mark.parametrize("rule", _triggered_rules())
def test_triggers_are_in_every_example(rule):
    """A rule's ``triggers`` gate its pattern: a sentence without one is never searched."""
    gate = rules.Triggers(rule.get("triggers"))
    missed = [text for text in rule.examples if not gate.any_in(rules.words_of(text))]
    assert missed == [], f"{rule.id}: no trigger word in {missed}"


_FILLER = ["the", "army", "not", "yet", "to", "t", "can", "confirmed", "verify", "send", "11,000",
           "soldiers", "said", "x"]
_JOINERS = [" ", "  ", "\u2019", "'", "-", ", ", ". ", "\n", ""]


@pytest.mark.parametrize("rule", _triggered_rules())
def test_pattern_never_matches_without_its_triggers(rule):
    """Text built from the trigger words, the pattern's own words and fillers, joined by
    spaces, apostrophes and punctuation: wherever the pattern matches, a trigger is there."""
    hypothesis = pytest.importorskip("hypothesis")
    strategies = hypothesis.strategies
    gate = rules.Triggers(rule.get("triggers"))
    pattern = BOOK.compile("(?i)" + rule.pattern)
    vocabulary = sorted({w for phrase in rule.get("triggers") for w in re.findall(r"[^\W\d_]+", phrase)}
                        | set(re.findall(r"[a-z]{2,}", rule.pattern)) | set(_FILLER))
    pieces = strategies.lists(strategies.tuples(strategies.sampled_from(vocabulary),
                                                strategies.sampled_from(_JOINERS)), max_size=8)

    @hypothesis.settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @hypothesis.given(pieces)
    def check(parts):
        text = "".join(word + joiner for word, joiner in parts)
        if pattern.search(text):
            assert gate.any_in(rules.words_of(text)), text

    check()


def test_words_of_gives_the_ascii_word_a_case_blind_pattern_would_match():
    """Triggers gate case-blind patterns: a letter that such a pattern matches to an ASCII
    letter ("UNT\u0130L" is "until" to ``(?i)until``) must give that word too."""
    any_letter = regex.compile(r"(?i)[a-z]")
    folding = [chr(cp) for cp in range(0x80, 0x110000) if any_letter.fullmatch(chr(cp))]
    assert folding, "regex matches some non-ASCII letters to ASCII ones"
    for char in folding:
        letter = next(x for x in "abcdefghijklmnopqrstuvwxyz" if regex.fullmatch(f"(?i){x}", char))
        assert f"un{letter}il" in rules.words_of(f"Troops stay UN{char}IL October 5."), hex(ord(char))


def test_an_alias_matched_in_any_capitalisation_is_found_whatever_its_letters():
    """A name of several words with lower-case letters matches in any capitalisation; a
    letter that the pattern folds to an ASCII one ("\u0130" for "I" in all capitals) must
    still lead to the alias, and a capitalisation that cannot must not stop the article."""
    for text in ("The INTERNATIONAL MONETARY FUND said 40 countries would grow.",
                 "The INTERNAT\u0130ONAL MONETARY FUND said 40 countries would grow.",
                 "The international monetary fund said 40 countries would grow."):
        rows = figcheck.extract_text(text, "2024-10-22", quantities=False)
        assert [(r.value, r.attributed_to) for r in rows.itertuples()] == [(40, "IMF")], text
    assert rules.fold_case("DM\u0130TRY Peskov") == "dmitry peskov"
    # Acronyms keep their case: "who" is no World Health Organization.
    rows = figcheck.extract_text("Doctors who treated 40 patients said so.", "2024-10-22",
                                 quantities=False)
    assert list(rows["attributed_to"].fillna("")) != ["WHO"]


def test_a_trigger_phrase_without_letters_lets_every_text_through():
    gate = rules.Triggers(["by", "<"])
    assert gate.any_in(frozenset()) and gate.any_in(frozenset({"until"}))
    assert not rules.Triggers(["by"]).any_in(frozenset({"until"}))


def test_phrase_finder_finds_what_the_alternation_finds():
    """The speaker aliases are looked up word by word instead of matched as one alternation;
    both must find the same phrases at the same places, case-blind ones in any
    capitalisation, the longest first, whole words only."""
    phrases = ["Kremlin", "the Kremlin", "NIS", "U.N.", "UN", "Seoul's spy agency",
               "the Health Ministry", "Health Ministry", "WHO", "World Health Organization",
               "#FactCheck", "Kyiv Independent", "Kyiv"]
    any_case = ["the Health Ministry", "Health Ministry", "World Health Organization",
                "Seoul's spy agency", "Kyiv Independent"]
    alternation = regex.compile(
        r"(?<![\w])(?:" + rules.list_alternation(phrases, any_case) + r")(?![\w])")
    finder = rules.PhraseFinder(phrases, any_case)
    texts = [
        "the Kremlin said", "The Kremlin's spokesman", "Kremlins", "kremlin", "the health ministry said",
        "THE HEALTH MINISTRY", "Health Ministry officials", "a who's who", "WHO and the world health organization",
        "the U.N. and the UN said", "U.N.s", "seoul's spy agency and SEOUL'S SPY AGENCY", "the #FactCheck team",
        "x#FactCheck", "#FactCheck by the Kremlin", "the Kyiv Independent, in Kyiv", "NIS-run", "pre-Kremlin", "Kyiv_Independent",
        "THE WORLD HEALTH ORGAN\u0130ZATION", "health  ministry", "",
    ]
    for text in texts:
        text = " ".join(text.split())
        expected = [(m.start(), m.end()) for m in alternation.finditer(text)]
        assert [(h.start(), h.end()) for h in finder.find_all(text)] == expected, text
    assert [h.group() for h in finder.find_all("the health ministry and the Kremlin")] == \
        ["the health ministry", "the Kremlin"]
