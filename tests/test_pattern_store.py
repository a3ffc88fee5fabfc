"""The compiled patterns kept from one run to the next (figcheck/pattern_store.py)."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import regex

from figcheck import pattern_store
from figcheck.pattern_store import ParsedRuleFiles, PatternStore

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


def _write_sealed(store: PatternStore, content) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(pattern_store._seal(pickle.dumps(content)))


V0 = int(regex.DEFAULT_VERSION)


def test_a_pattern_filed_under_another_source_is_not_used(tmp_path):
    store = PatternStore(tmp_path)
    _write_sealed(store, {("troops", 0, V0): regex.compile("soldiers")})
    assert PatternStore(tmp_path).compile("troops").search("troops")


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps(["a", "list"])[:-3],
                                     pickle.dumps({("troops", 0, V0): regex.compile("x")})])
def test_a_file_without_the_seal_is_ignored_and_replaced(tmp_path, content):
    store = PatternStore(tmp_path)
    store.path.write_bytes(content)
    assert store.compile("troops").search("3,000 troops")
    assert store.save()
    assert PatternStore(tmp_path).compile("troops").pattern == "troops"


@pytest.mark.parametrize("content", [["a", "list"], {"a": 1}, {("troops", "0", V0): 1},
                                     {("troops", 0): regex.compile("troops")}])
def test_a_sealed_file_of_something_else_is_ignored(tmp_path, content):
    store = PatternStore(tmp_path)
    _write_sealed(store, content)
    assert store.compile("troops").search("3,000 troops")
    assert store._kept == {("troops", 0, V0): store.compile("troops")}


def test_a_file_damaged_on_disk_never_reaches_the_regex_engine(tmp_path, monkeypatch):
    first = PatternStore(tmp_path)
    first.compile(SOURCES[0][0])
    first.save()
    data = bytearray(first.path.read_bytes())
    data[-40] ^= 0x01  # one bit of the last pattern's code
    first.path.write_bytes(bytes(data))
    compiled = []
    real_compile = pattern_store.regex.compile
    monkeypatch.setattr(pattern_store.regex, "compile",
                        lambda source, flags=0: compiled.append(source) or real_compile(source, flags))
    again = PatternStore(tmp_path)
    assert again.compile(SOURCES[0][0]).search(TEXT)
    assert compiled == [SOURCES[0][0]]


def test_a_file_of_another_build_of_regex_is_ignored(tmp_path, monkeypatch):
    first = PatternStore(tmp_path)
    first.compile("troops")
    first.save()
    monkeypatch.setattr(pattern_store, "_build", lambda: b"2026.11.15|rebuilt|cpython-311\n")
    assert PatternStore(tmp_path)._read() == {}


def test_the_default_syntax_version_is_part_of_what_finds_a_pattern(tmp_path, monkeypatch):
    # A program that switches regex to version 1 (set difference in classes) after
    # importing figcheck must not leave its patterns to a run under version 0.
    source = "[a-z--aeiou]+"
    monkeypatch.setattr(regex, "DEFAULT_VERSION", regex.VERSION1)
    under_v1 = PatternStore(tmp_path)
    assert under_v1.compile(source).findall("bcdafg") == ["bcd", "fg"]
    under_v1.save()
    monkeypatch.setattr(regex, "DEFAULT_VERSION", regex.VERSION0)
    assert PatternStore(tmp_path).compile(source).findall("bcdafg") == ["bcdafg"]


class _Planted:
    """What a tampered file could ask the unpickler to call."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_even_a_sealed_file_builds_compiled_patterns_and_nothing_else(tmp_path):
    store = PatternStore(tmp_path / "store")
    planted = tmp_path / "planted"
    _write_sealed(store, {("troops", 0, V0): _Planted(str(planted))})
    assert store.compile("troops").search("troops")
    assert not planted.exists()


def test_a_folder_that_cannot_be_written_only_means_compiling_again(tmp_path, monkeypatch):
    def refused(**_kwargs):
        raise PermissionError(13, "Permission denied")

    store = PatternStore(tmp_path)
    assert store.compile("troops").search("troops")
    monkeypatch.setattr(pattern_store.tempfile, "mkstemp", refused)
    assert store.save() is False
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert store.save()  # (tried again: the pattern was not forgotten)
    assert ("troops", 0, V0) in PatternStore(tmp_path)._read()


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
    assert set(PatternStore(tmp_path)._read()) == {("beta", 0, V0), ("delta", 0, V0)}


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
    assert (r"(?i)\bbrigades?\b", 0, V0) in kept
    assert any("scanned_match_" in source for source, _flags, _version in kept)


def test_with_a_pycache_prefix_the_file_goes_where_python_puts_bytecode(monkeypatch, tmp_path):
    package = os.path.dirname(os.path.realpath(pattern_store.__file__))
    monkeypatch.setattr(pattern_store.sys, "pycache_prefix", None)
    assert str(pattern_store.default_folder()) == os.path.join(package, "__pycache__")
    monkeypatch.setattr(pattern_store.sys, "pycache_prefix", str(tmp_path))
    assert str(pattern_store.default_folder()) == str(tmp_path) + package


def test_a_child_of_fork_leaves_the_parents_patterns_to_the_parent(tmp_path):
    store = PatternStore(tmp_path)
    store.compile("troops")
    store._lock.acquire()  # (as if a thread of the parent held it at the fork)
    try:
        child = os.fork()
        if child == 0:
            ok = store._new == 0 and store._lock.acquire(timeout=1) and not store.save()
            os._exit(0 if ok else 1)
        _pid, status = os.waitpid(child, 0)
    finally:
        store._lock.release()
    assert os.waitstatus_to_exitcode(status) == 0
    assert store._new == 1 and store.save()


# --- parsed rule files ----------------------------------------------------------------------

PACKAGE_RULE_FILES = sorted((Path(pattern_store.__file__).parent / "rules").glob("*.toml"))


def no_toml_parsing(monkeypatch):
    def refuse(text):
        raise AssertionError("parsed again")

    monkeypatch.setattr(pattern_store.tomllib, "loads", refuse)


def test_a_second_run_takes_the_rule_files_the_first_parsed(tmp_path, monkeypatch):
    import tomllib

    datas = [path.read_bytes() for path in PACKAGE_RULE_FILES]
    expected = [tomllib.loads(data.decode("utf-8")) for data in datas]
    first = ParsedRuleFiles(tmp_path)
    assert [first.parse(data) for data in datas] == expected
    assert first.save()
    assert not first.save()  # nothing new since

    no_toml_parsing(monkeypatch)
    second = ParsedRuleFiles(tmp_path)
    assert [second.parse(data) for data in datas] == expected


def test_each_parse_is_a_fresh_copy_that_its_caller_may_change(tmp_path):
    store = ParsedRuleFiles(tmp_path)
    data = b'[lists]\nunits = ["troops", "soldiers"]\n'
    for _ in range(2):  # the first parse, then the kept one
        parsed = store.parse(data)
        parsed["lists"]["units"].append("sailors")
        assert store.parse(data) == {"lists": {"units": ["troops", "soldiers"]}}
    store.save()
    again = ParsedRuleFiles(tmp_path).parse(data)
    again["lists"].clear()
    assert ParsedRuleFiles(tmp_path).parse(data) == {"lists": {"units": ["troops", "soldiers"]}}


def test_an_edited_rule_file_is_parsed_anew_and_its_old_parse_dropped(tmp_path):
    before, after = b'note = "old"\n', b'note = "new"\n'
    first = ParsedRuleFiles(tmp_path)
    first.parse(before)
    first.save()
    second = ParsedRuleFiles(tmp_path)
    assert second.parse(after) == {"note": "new"}
    second.save()
    assert "old" not in (tmp_path / "rules.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'{"abc": 3}', b"\xff\xfe"])
def test_a_damaged_file_of_parsed_rules_is_ignored_and_replaced(tmp_path, content):
    data = b'id = "attr-said"\n'
    (tmp_path / "rules.json").write_bytes(content)
    store = ParsedRuleFiles(tmp_path)
    assert store.parse(data) == {"id": "attr-said"}
    assert store.save()
    assert ParsedRuleFiles(tmp_path).parse(data) == {"id": "attr-said"}


def test_what_json_cannot_hold_is_parsed_each_time_and_errors_are_tomllibs(tmp_path):
    import datetime as dt
    import tomllib

    store = ParsedRuleFiles(tmp_path)
    dated = b"since = 2024-02-24\nratio = nan\n"
    parsed = store.parse(dated)
    assert parsed["since"] == dt.date(2024, 2, 24) and parsed["ratio"] != parsed["ratio"]
    assert not store.save()  # nothing kept: a date is not JSON, NaN not equal to itself
    with pytest.raises(tomllib.TOMLDecodeError):
        store.parse(b"id = ")
    with pytest.raises(UnicodeDecodeError):
        store.parse(b'note = "\xff"\n')
    assert not store.save()


def test_a_folder_that_cannot_be_written_only_means_parsing_again(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only install")

    monkeypatch.setattr(pattern_store.tempfile, "mkstemp", refuse)
    store = ParsedRuleFiles(tmp_path)
    assert store.parse(b"rank = 2\n") == {"rank": 2}
    assert not store.save()
    assert list(tmp_path.iterdir()) == []
    assert ParsedRuleFiles(tmp_path).parse(b"rank = 2\n") == {"rank": 2}
    monkeypatch.undo()
    assert store.save()  # (tried again: the parse was not forgotten)


def test_the_rule_book_is_the_same_whether_its_files_were_kept_or_parsed(tmp_path, monkeypatch):
    from figcheck import rules

    def load_with(store):
        monkeypatch.setattr(rules, "_rule_file_store", store)
        rules._load.cache_clear()
        try:
            return rules.load()
        finally:
            rules._load.cache_clear()

    parsed = load_with(ParsedRuleFiles(tmp_path))
    no_toml_parsing(monkeypatch)
    kept = load_with(ParsedRuleFiles(tmp_path))
    assert kept == parsed
