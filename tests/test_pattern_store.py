"""The compiled patterns kept from one run to the next (figcheck/pattern_store.py)."""
from __future__ import annotations

import os
import pickle

import pytest
import regex

from figcheck import pattern_store
from figcheck.pattern_store import PatternStore

SOURCES = [
    (r"(?i)(?<![\w])(?P<num>\d+(?:,\d{3})*)\s+(?P<noun>soldiers|troops)", 0),
    (r"(?r)([^\W\d_]+)\W*\Z", 0),
    (r"nearly|almost|some", int(regex.IGNORECASE)),
]
TEXT = "Nearly 11,000 SOLDIERS and some 3,000 troops, almost 12 Troops; said officials."


def no_compiling(monkeypatch):
    def refuse(source, flags=0):
        raise AssertionError(f"compiled again: {source!r}")

    monkeypatch.setattr(pattern_store.regex, "compile", refuse)


def test_a_second_run_takes_the_patterns_the_first_compiled(tmp_path, monkeypatch):
    first = PatternStore(tmp_path)
    compiled = [first.compile(source, flags) for source, flags in SOURCES]
    assert first.save()
    assert not first.save()  # nothing new since

    no_compiling(monkeypatch)
    second = PatternStore(tmp_path)
    for (source, flags), fresh in zip(SOURCES, compiled):
        kept = second.compile(source, flags)
        assert kept.pattern == source and kept.flags == fresh.flags
        assert kept.groupindex == fresh.groupindex
        assert [m.span() for m in kept.finditer(TEXT)] == [m.span() for m in fresh.finditer(TEXT)]
        assert kept.findall(TEXT) == fresh.findall(TEXT)


def test_flags_are_part_of_what_finds_a_pattern(tmp_path):
    first = PatternStore(tmp_path)
    first.compile("troops", 0)
    first.save()
    second = PatternStore(tmp_path)
    assert second.compile("troops", regex.IGNORECASE).search("TROOPS")
    assert not second.compile("troops", 0).search("TROOPS")


def test_a_pattern_filed_under_another_source_is_not_used(tmp_path):
    store = PatternStore(tmp_path)
    with open(store.path, "wb") as handle:
        pickle.dump({("troops", 0): regex.compile("soldiers")}, handle)
    assert PatternStore(tmp_path).compile("troops").search("troops")


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps(["a", "list"])[:-3],
                                     pickle.dumps({"a": 1}), pickle.dumps(["a", "list"])])
def test_a_damaged_or_foreign_file_is_ignored_and_replaced(tmp_path, content):
    store = PatternStore(tmp_path)
    store.path.write_bytes(content)
    assert store.compile("troops").search("3,000 troops")
    assert store.save()
    assert PatternStore(tmp_path).compile("troops").pattern == "troops"


class _Planted:
    """What a tampered file could ask the unpickler to call."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_the_file_builds_compiled_patterns_and_nothing_else(tmp_path):
    store = PatternStore(tmp_path / "store")
    store.path.parent.mkdir()
    planted = tmp_path / "planted"
    with open(store.path, "wb") as handle:
        pickle.dump({("troops", 0): _Planted(str(planted))}, handle)
    assert store.compile("troops").search("troops")
    assert not planted.exists()


def test_a_folder_that_cannot_be_written_only_means_compiling_again(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user can write anywhere (root)")
        store = PatternStore(folder)
        assert store.compile("troops").search("troops")
        assert store.save() is False
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_a_folder_in_place_of_the_file_is_not_an_error(tmp_path):
    store = PatternStore(tmp_path)
    store.path.mkdir()
    assert store.compile("troops").search("troops")
    assert store.save() is False
    assert [p.name for p in tmp_path.iterdir()] == [store.path.name]  # no file left aside


def test_past_the_limit_the_file_keeps_the_patterns_of_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(pattern_store, "MAX_PATTERNS", 3)
    old = PatternStore(tmp_path)
    for word in ("alpha", "beta", "gamma"):
        old.compile(word)
    old.save()
    run = PatternStore(tmp_path)
    run.compile("beta")
    run.compile("delta")
    run.save()
    assert set(PatternStore(tmp_path)._read()) == {("beta", 0), ("delta", 0)}


def test_another_regex_version_has_a_file_of_its_own(tmp_path, monkeypatch):
    PatternStore(tmp_path).compile("troops")
    this = PatternStore(tmp_path)
    this.compile("troops")
    this.save()
    monkeypatch.setattr(pattern_store.regex, "__version__", "1999.1.1")
    other = PatternStore(tmp_path)
    assert other.path != this.path
    assert other._read() == {}


def test_the_file_has_the_mode_of_figchecks_own_files(tmp_path):
    store = PatternStore(tmp_path)
    store.compile("troops")
    store.save()
    assert store.path.stat().st_mode & 0o777 == os.stat(pattern_store.__file__).st_mode & 0o666


def test_the_engines_patterns_and_their_scanners_are_compiled_through_the_store(
        tmp_path, monkeypatch):
    from figcheck import rules

    store = PatternStore(tmp_path)
    monkeypatch.setattr(rules, "_store", store)
    pattern = rules.compile(r"(?i)\bbrigades?\b")
    assert pattern.scan("two brigades, one brigade") == [(4, 12, None), (18, 25, None)]
    assert store.save()
    kept = PatternStore(tmp_path)._read()
    assert (r"(?i)\bbrigades?\b", 0) in kept
    assert any("scanned_match_" in source for source, _flags in kept)


def test_with_a_pycache_prefix_the_file_goes_where_python_puts_bytecode(monkeypatch, tmp_path):
    package = os.path.dirname(os.path.realpath(pattern_store.__file__))
    monkeypatch.setattr(pattern_store.sys, "pycache_prefix", None)
    assert str(pattern_store.default_folder()) == os.path.join(package, "__pycache__")
    monkeypatch.setattr(pattern_store.sys, "pycache_prefix", str(tmp_path))
    assert str(pattern_store.default_folder()) == str(tmp_path) + package
