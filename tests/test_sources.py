"""Reading article batches: layouts, encodings, unreadable files, order and outlets."""
from __future__ import annotations

import codecs
import datetime as dt
import doctest
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from figcheck import sources
from figcheck.article import Skipped
from figcheck.sources import read_batch

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"


@pytest.fixture(autouse=True)
def no_date_inference(monkeypatch):
    """The date inference belongs to dates.py; here it finds nothing unless a test says so."""
    monkeypatch.setattr(sources.dates, "infer_published", lambda text: None)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def only_article(batch):
    assert batch.skipped == []
    assert len(batch.articles) == 1
    return batch.articles[0]


def reasons(batch) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in batch.skipped}


# --- the .txt layout -----------------------------------------------------------------------

def test_date_line_with_the_article_on_the_same_line(tmp_path):
    text = " date 2024-10-22   Officials said 400 people left the town.\n\nMore text.\n"
    article = only_article(read_batch([str(write(tmp_path, "a.txt", text))]))
    assert article.text == text
    assert article.published == dt.date(2024, 10, 22)
    assert article.published_inferred is False
    assert article.body.startswith("Officials said 400 people")
    assert article.title is None


def test_date_line_then_header_lines_then_a_blank_line(tmp_path):
    text = (" date 2023-09-18\nsource: The Harbour Gazette\nurl: https://example.org/a\n"
            "title: Flood toll rises\n\nRescuers found 12 more people on Sunday.\n")
    article = only_article(read_batch([str(write(tmp_path, "a.txt", text))]))
    assert article.published == dt.date(2023, 9, 18)
    assert article.source == "The Harbour Gazette"
    assert article.url == "https://example.org/a"
    assert article.title == "Flood toll rises"
    assert article.body == "Rescuers found 12 more people on Sunday.\n"


def test_header_lines_without_a_date_line(tmp_path):
    text = "Source: Valley Radio\nURL: https://example.org/b\n\nThe council counted 75 votes.\n"
    article = only_article(read_batch([str(write(tmp_path, "b.txt", text))]))
    assert article.source == "Valley Radio"
    assert article.url == "https://example.org/b"
    assert article.published is None
    assert article.body == "The council counted 75 votes.\n"


def test_header_lines_with_windows_line_ends(tmp_path):
    text = " date 2024-01-05\r\nsource: Valley Radio\r\n\r\nThe council counted 75 votes.\r\n"
    article = only_article(read_batch([str(write(tmp_path, "b.txt", text))]))
    assert article.source == "Valley Radio"
    assert article.published == dt.date(2024, 1, 5)
    assert article.body == "The council counted 75 votes.\r\n"


def test_a_text_without_headers_starts_at_its_first_character(tmp_path):
    text = "The council counted 75 votes.\n"
    article = only_article(read_batch([str(write(tmp_path, "c.txt", text))]))
    assert article.body_start == 0
    assert article.published is None


def test_a_headline_line_is_the_title_and_stays_in_the_body(tmp_path):
    text = "Town counts 75 votes in 'historic' recall\n\nThe council counted 75 votes.\n"
    article = only_article(read_batch([str(write(tmp_path, "d.txt", text))]))
    assert article.title == "Town counts 75 votes in 'historic' recall"
    assert article.body_start == 0


@pytest.mark.parametrize("first_line", [
    "The council counted 75 votes on Monday.",
    'He said: "We counted 75 votes."',
    "Alone",
])
def test_a_sentence_is_not_a_title(tmp_path, first_line):
    article = only_article(read_batch([str(write(tmp_path, "e.txt", first_line + "\nMore.\n"))]))
    assert article.title is None


def test_a_title_header_wins_over_the_first_line(tmp_path):
    text = "title: Recall vote\n\nTown counts 75 votes\nThe council counted 75 votes.\n"
    assert only_article(read_batch([str(write(tmp_path, "f.txt", text))])).title == "Recall vote"


def test_a_markdown_heading_is_the_title_without_its_marks(tmp_path):
    text = "# Town counts 75 votes\n\nThe council counted 75 votes.\n"
    article = only_article(read_batch([str(write(tmp_path, "g.md", text))]))
    assert article.title == "Town counts 75 votes"
    assert article.body_start == 0


def test_seed_articles(tmp_path):
    batch = read_batch([str(SEEDS)])
    assert batch.skipped == []
    by_doc = {article.doc: article for article in batch.articles}
    first = by_doc["000_e5877635cf43af47.txt"]
    assert first.published == dt.date(2024, 10, 22)
    assert first.body.startswith("(MENAFN- UkrinForm) expects")
    assert first.source == "Ukrinform"
    assert by_doc["001_bb8508e8ffd56154.txt"].source == "Censor.NET"
    assert by_doc["003_546e318d620879e9.txt"].source == "Censor.NET"
    assert by_doc["004_0718d455d95cc9fe.txt"].source == "European Pravda"
    headline = by_doc["002_dd41115b3d171678.txt"]
    assert headline.title.startswith("NATO chief calls unconfirmed involvement")
    assert headline.body_start == 0


def test_a_stated_date_that_is_not_a_date_is_reported(tmp_path):
    write(tmp_path, "a.txt", " date 2024-02-30 The council counted 75 votes.\n")
    write(tmp_path, "b.txt", "date: soon\n\nThe council counted 75 votes.\n")
    batch = read_batch([str(tmp_path)])
    assert batch.articles == []
    assert "not a YYYY-MM-DD date" in reasons(batch)["a.txt"]
    assert "not a YYYY-MM-DD date" in reasons(batch)["b.txt"]


def test_headers_without_article_text_are_reported(tmp_path):
    write(tmp_path, "a.txt", " date 2024-02-03\nsource: Valley Radio\n\n")
    batch = read_batch([str(tmp_path)])
    assert batch.articles == []
    assert "no article text" in reasons(batch)["a.txt"]


# --- publication date and outlet -----------------------------------------------------------

def test_the_date_is_inferred_when_none_is_given(tmp_path, monkeypatch):
    seen = []

    def infer(body):
        seen.append(body)
        return dt.date(2024, 3, 1)

    monkeypatch.setattr(sources.dates, "infer_published", infer)
    write(tmp_path, "a.txt", "source: Valley Radio\n\nOn March 1 the council counted 75 votes.\n")
    write(tmp_path, "b.txt", " date 2024-02-03 The council counted 75 votes.\n")
    first, second = read_batch([str(tmp_path)]).articles
    assert (first.published, first.published_inferred) == (dt.date(2024, 3, 1), True)
    assert seen == ["On March 1 the council counted 75 votes.\n"]
    assert (second.published, second.published_inferred) == (dt.date(2024, 2, 3), False)


@pytest.mark.parametrize("text, outlet", [
    ("(MENAFN- UkrinForm) The council counted 75 votes.", "Ukrinform"),
    ("The vote was close. According to Censor.NET, 75 people voted.", "Censor.NET"),
    ("The vote ended, as reported by European Pravda.", "European Pravda"),
    ("The mayor, Censor.NET reports with reference to Ukrinform.", "Censor.NET"),
    ("The mayor spoke in Tallinn, an Ukrinform correspondent reports.", "Ukrinform"),
    ("According to the mayor, 75 people voted.", None),
    ("Earlier, the Washington Post wrote that 75 people voted.", None),
])
def test_outlet_cues(text, outlet):
    assert sources.find_outlet(text) == outlet


def test_a_cue_naming_the_publisher_wins_over_a_reporting_cue():
    text = ("According to European Pravda, the vote was close. "
            "The mayor spoke, an Ukrinform correspondent reports.")
    assert sources.find_outlet(text) == "Ukrinform"


def test_the_source_header_wins_over_cues_and_is_spelt_canonically(tmp_path):
    text = "source: UKRINFORM\n\nAccording to Censor.NET, the council counted 75 votes.\n"
    assert only_article(read_batch([str(write(tmp_path, "a.txt", text))])).source == "Ukrinform"


def test_every_outlet_rule_is_data_with_examples():
    rule_ids = {rule.id for rule in sources.rules.load().of("sources")}
    assert rule_ids and all(rule_id.startswith("SRC-") for rule_id in rule_ids)
    assert sources.explain("According to Censor.NET, the vote was close.") == {"SRC-ACCORDING-TO"}
    assert sources.explain("The vote was close.") == set()


# --- .jsonl --------------------------------------------------------------------------------

def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def test_jsonl_articles_and_their_keys(tmp_path):
    path = write(tmp_path, "batch.jsonl", jsonl(
        {"id": "vote-1", "text": "The council counted 75 votes.", "published": "2024-10-22",
         "source": "Valley Radio", "url": "https://example.org/1", "title": "Recall vote"},
        {"body": "Officials said 400 people left.", "date": "2024-10-23T08:15:00Z"},
        "",
        {"content": "(MENAFN- UkrinForm) 12 buses left.", "id": 7},
    ))
    batch = read_batch([str(path)])
    assert batch.skipped == []
    first, second, third = batch.articles
    assert (first.doc, first.source, first.url, first.title) == (
        "vote-1", "Valley Radio", "https://example.org/1", "Recall vote")
    assert first.published == dt.date(2024, 10, 22)
    assert (second.doc, second.published, second.text) == (
        "batch.jsonl#2", dt.date(2024, 10, 23), "Officials said 400 people left.")
    assert (third.doc, third.source, third.body_start) == ("7", "Ukrinform", 0)


def test_bad_jsonl_lines_are_skipped_by_line_and_the_rest_read(tmp_path):
    path = write(tmp_path, "batch.jsonl", jsonl(
        {"text": "The council counted 75 votes."},
        "{not json",
        "[1, 2]",
        {"title": "no text here"},
        {"text": 75},
        {"text": "   "},
        {"text": "Officials said 400 people left.", "published": "yesterday"},
        {"text": "Officials said 12 buses left."},
    ))
    batch = read_batch([str(path)])
    assert [a.doc for a in batch.articles] == ["batch.jsonl#1", "batch.jsonl#8"]
    by_line = {s.path.rsplit(":", 1)[1]: s.reason for s in batch.skipped}
    assert all(s.path.startswith(str(path) + ":") for s in batch.skipped)
    assert "invalid JSON" in by_line["2"]
    assert "not a JSON object" in by_line["3"]
    assert "no article text" in by_line["4"]
    assert "not a string" in by_line["5"]
    assert "empty" in by_line["6"]
    assert "not a YYYY-MM-DD date" in by_line["7"]


def test_a_jsonl_line_over_the_size_limit_is_skipped(tmp_path):
    path = write(tmp_path, "batch.jsonl", jsonl({"text": "x" * 500}, {"text": "The vote: 75."}))
    batch = read_batch([str(path)], max_bytes=100)
    assert [a.text for a in batch.articles] == ["The vote: 75."]
    assert batch.skipped == [Skipped(f"{path}:1", "line longer than 100 bytes")]


def test_a_jsonl_table_of_claims_is_not_read_as_articles(tmp_path):
    write(tmp_path, "claims.jsonl", jsonl({"doc": "a.txt", "text": "75 votes", "value": 75,
                                           "sentence": "The council counted 75 votes."}))
    batch = read_batch([str(tmp_path)])
    assert batch.articles == []
    assert "a table, not articles" in reasons(batch)["claims.jsonl"]


def test_unreadable_jsonl_files(tmp_path):
    write(tmp_path, "utf16.jsonl", codecs.BOM_UTF16_LE + jsonl({"text": "75 votes."}).encode("utf-16-le"))
    write(tmp_path, "binary.jsonl", b'{"text": "75"}\n\x00\x01\x02')
    write(tmp_path, "blank.jsonl", b"\n  \n")
    write(tmp_path, "latin.jsonl", b'{"text": "caf\xe9 had 75 seats."}\n')
    batch = read_batch([str(tmp_path)])
    assert batch.articles == []
    why = {s.path.replace(str(tmp_path) + os.sep, ""): s.reason for s in batch.skipped}
    assert why == {
        "binary.jsonl": "binary file (contains NUL bytes)",
        "blank.jsonl": "empty file (no JSON lines)",
        "latin.jsonl:1": "not valid UTF-8 (byte 13)",
        "utf16.jsonl": "JSONL must be UTF-8; this file is UTF-16 or UTF-32",
    }


def test_jsonl_with_a_utf8_byte_order_mark(tmp_path):
    path = write(tmp_path, "b.jsonl", codecs.BOM_UTF8 + jsonl({"text": "Caf\u00e9 had 75 seats."}).encode())
    assert only_article(read_batch([str(path)])).text == "Caf\u00e9 had 75 seats."


# --- encodings -----------------------------------------------------------------------------

TEXT = " date 2024-10-22 The caf\u00e9 \u201cLa Plage\u201d counted 75 guests.\n"


@pytest.mark.parametrize("encoded", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("cp1252"),
], ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "cp1252"])
def test_encodings_decode_to_the_same_text(tmp_path, encoded):
    article = only_article(read_batch([str(write(tmp_path, "a.txt", encoded))]))
    assert article.text == TEXT  # no byte-order mark: offsets count from the first character
    assert article.published == dt.date(2024, 10, 22)
    assert article.body.startswith("The caf\u00e9")


# --- unreadable files ----------------------------------------------------------------------

def test_unreadable_files_are_skipped_with_reasons_and_good_files_still_read(tmp_path):
    write(tmp_path, "good.txt", "The council counted 75 votes.\n")
    write(tmp_path, "binary.txt", b"PK\x03\x04\x00\x00binary")
    write(tmp_path, "controls.txt", b"\x81\x01\x02\x03\x8d\x90 nope")
    write(tmp_path, "cp1252-controls.txt", b"caf\xe9\x01\x02\x03")
    write(tmp_path, "empty.txt", b"")
    write(tmp_path, "blank.md", b"  \n\t\n")
    write(tmp_path, "large.txt", b"The council counted 75 votes. " * 10)
    write(tmp_path, "bad-utf16.txt", codecs.BOM_UTF16_LE + b"a\x00\x00\xdc")
    os.symlink(tmp_path / "missing.txt", tmp_path / "broken.txt")
    batch = read_batch([str(tmp_path)], max_bytes=200)
    assert [a.doc for a in batch.articles] == ["good.txt"]
    why = reasons(batch)
    assert set(why) == {"binary.txt", "controls.txt", "cp1252-controls.txt", "empty.txt",
                        "blank.md", "large.txt", "bad-utf16.txt", "broken.txt"}
    assert "binary" in why["binary.txt"]
    assert "not text" in why["controls.txt"]
    assert "binary" in why["cp1252-controls.txt"]
    assert why["empty.txt"] == "empty file"
    assert "white space" in why["blank.md"]
    assert why["large.txt"] == "too large: 300 bytes (limit 200)"
    assert "UTF-16" in why["bad-utf16.txt"]
    assert "broken symbolic link" in why["broken.txt"]


def test_a_file_that_cannot_be_opened_is_skipped(tmp_path, monkeypatch):
    good = write(tmp_path, "good.txt", "The council counted 75 votes.\n")
    locked = write(tmp_path, "locked.txt", "The council counted 75 votes.\n")
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(sources, "open", guarded_open, raising=False)
    batch = read_batch([str(locked), str(good)])
    assert [a.doc for a in batch.articles] == ["good.txt"]
    assert batch.skipped == [Skipped(str(locked), "permission denied")]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="file permissions do not bind root")
def test_a_file_without_read_permission_is_skipped(tmp_path):
    locked = write(tmp_path, "locked.txt", "The council counted 75 votes.\n")
    locked.chmod(0)
    try:
        batch = read_batch([str(tmp_path)])
    finally:
        locked.chmod(0o644)
    assert batch.skipped == [Skipped(str(locked), "permission denied")]


def test_paths_that_do_not_exist_or_are_not_articles(tmp_path):
    write(tmp_path, "notes.pdf", b"%PDF-1.4")
    batch = read_batch([str(tmp_path / "nowhere"), str(tmp_path / "notes.pdf")])
    assert batch.articles == []
    assert batch.skipped[0] == Skipped(str(tmp_path / "nowhere"), "no such file or directory")
    assert batch.skipped[1].reason.startswith("unsupported file type .pdf")


def test_a_folder_passes_over_other_files_hidden_files_and_readmes(tmp_path):
    write(tmp_path, "a.txt", "The council counted 75 votes.\n")
    write(tmp_path, "notes.pdf", b"%PDF-1.4")
    write(tmp_path, "image.png", b"\x89PNG\x00")
    write(tmp_path, ".hidden.txt", "The council counted 75 votes.\n")
    write(tmp_path, ".cache/b.txt", "The council counted 75 votes.\n")
    write(tmp_path, "README.md", "Ten articles.\n")
    batch = read_batch([str(tmp_path)])
    assert [a.doc for a in batch.articles] == ["a.txt"]
    assert batch.skipped == []


# --- order and doc names -------------------------------------------------------------------

def test_folders_are_read_recursively_in_path_order(tmp_path, monkeypatch):
    for name in ["b.txt", "sub/a.txt", "a.md", "sub/z/y.txt", "c.jsonl"]:
        write(tmp_path, name, jsonl({"text": "75 votes."}) if name.endswith(".jsonl") else "75 votes.\n")
    expected = ["a.md", "b.txt", "c.jsonl#1", "sub/a.txt", "sub/z/y.txt"]
    assert [a.doc for a in read_batch([str(tmp_path)]).articles] == expected

    real_walk = os.walk

    def reversed_walk(*args, **kwargs):
        for current, folders, files in real_walk(*args, **kwargs):
            folders.reverse()
            yield current, folders, list(reversed(files))

    monkeypatch.setattr(sources.os, "walk", reversed_walk)
    batch = read_batch([str(tmp_path)])
    assert [a.doc for a in batch.articles] == expected
    assert batch.articles[3].path == os.path.join(str(tmp_path), "sub", "a.txt")


def test_a_file_given_directly_is_named_by_its_file_name(tmp_path):
    path = write(tmp_path, "deep/inside/a.txt", "75 votes.\n")
    assert only_article(read_batch([str(path)])).doc == "a.txt"


def test_a_file_given_twice_is_read_once_and_docs_stay_unique(tmp_path):
    write(tmp_path, "one/a.txt", "75 votes.\n")
    write(tmp_path, "two/a.txt", "76 votes.\n")
    batch = read_batch([str(tmp_path / "one"), str(tmp_path / "one" / "a.txt"), str(tmp_path / "two")])
    assert [(a.doc, a.text) for a in batch.articles] == [("a.txt", "75 votes.\n"),
                                                          ("a.txt#2", "76 votes.\n")]


def test_a_file_reached_through_links_or_dot_dot_is_read_once(tmp_path):
    write(tmp_path, "a/x.txt", "75 votes.\n")
    write(tmp_path, "a/b/y.txt", "76 votes.\n")
    (tmp_path / "c").mkdir()
    os.symlink(tmp_path / "a" / "x.txt", tmp_path / "c" / "link.txt")  # a link to a file
    os.symlink(tmp_path / "a" / "b", tmp_path / "c" / "b")  # to a folder (not walked into)
    os.symlink("../a", tmp_path / "c" / "up")  # a relative one
    given = [tmp_path / "a", tmp_path / "c", tmp_path / "c" / "up" / "x.txt",
             tmp_path / "c" / "b" / "y.txt", tmp_path / "a" / "b" / ".." / "x.txt"]
    batch = read_batch([str(path) for path in given])
    assert sorted(a.text for a in batch.articles) == ["75 votes.\n", "76 votes.\n"]


# --- properties and doctests ---------------------------------------------------------------

@given(st.text(max_size=300))
def test_any_text_keeps_its_offsets_or_is_refused_with_a_reason(text):
    try:
        article = sources.parse_text_article("a.txt", text)
    except sources.UnreadableError as exc:
        assert str(exc)
        return
    assert article.text == text
    assert 0 <= article.body_start < len(text)
    assert not text[article.body_start].isspace()


@given(st.text(max_size=200))
def test_utf8_text_decodes_to_itself(text):
    if "\x00" not in text:
        assert sources.decode(text.encode("utf-8")) == text


def test_doctests():
    assert doctest.testmod(sources).failed == 0
