"""Every input a newsroom has, and every broken one (issue 5).

- a batch with one file of each broken kind beside good articles in every layout and
  encoding: the good claims are all there, each bad file is named with its reason on
  standard error and in the report, and the exit code is 2 only when nothing was read;
- HTML pages (the ``html`` extra), and the message that names the extra without it;
- ``--keep-text``: the text the offsets of every claim refer to;
- figures written with non-breaking and thin spaces, Unicode dashes and curly quotes;
- an article that makes the extractor time out or fail is reported and left out;
- markup in article text, file names and JSONL ids cannot change the report's structure;
- writes are atomic: a writer killed midway leaves the old file.
"""
from __future__ import annotations

import codecs
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import figcheck
from figcheck import claims, cli, io, page_process, parallel, report, sources

REPOSITORY = Path(__file__).resolve().parent.parent

# --- the batch -------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><meta charset="windows-1252"><title>Buses leave | Valley Radio</title>
<meta property="og:site_name" content="Valley Radio">
<meta property="og:url" content="https://valley.example/news/buses">
<meta property="article:published_time" content="2024-10-23T08:00:00Z">
</head><body><nav>Home | News | Contact</nav>
<article><h1>Buses leave the valley</h1>
<p>Officials said 48 buses left the town on Monday, the mayor said. Caf\xe9 owners watched.</p>
<p>The council said at least 900 people had registered to leave, up from 700 a week earlier.</p>
</article><footer>Copyright Valley Radio</footer></body></html>
"""

#: The good articles: file name → (bytes, the figures their claims must hold).
GOOD = {
    "plain.txt": (" date 2024-10-22 Officials said about 11,000 troops had arrived.\n".encode(),
                  {"about 11,000 troops"}),
    "notes.md": ("# Flood update\n\nRescuers said 12 people were missing on Sunday.\n".encode(),
                 {"12 people"}),
    "bom8.txt": (codecs.BOM_UTF8 + "The council counted 75 votes on Monday.\n".encode(),
                 {"75 votes"}),
    "utf16le.txt": ("\ufeffThe ministry said 2,600 soldiers had arrived.\n".encode("utf-16-le"),
                    {"2,600 soldiers"}),
    "utf16be.txt": ("\ufeffThe ministry said 1,500 soldiers had left.\n".encode("utf-16-be"),
                    {"1,500 soldiers"}),
    "utf16nobom.txt": ("The ministry said 700 soldiers had left.\n".encode("utf-16-le"),
                       {"700 soldiers"}),
    # Windows-1252: curly quotes (0x93 0x94), a non-breaking space inside the figure (0xA0)
    # and an en dash in a range (0x96).
    "cp1252.txt": (b"\x93Nearly 11\xa0000 soldiers are here,\x94 the minister said. "
                   b"Officials said 10,000\x9612,000 troops had arrived.\n",
                   {"Nearly 11\u00a0000 soldiers", "10,000\u201312,000 troops"}),
    "page.html": (PAGE.encode("cp1252"), {"48 buses", "at least 900 people"}),
    "batch.jsonl": ("".join(json.dumps(r) + "\n" for r in [
        {"id": "wire-1", "text": "Police said 300 people were evacuated.", "published": "2024-10-22",
         "source": "Wire", "url": "https://wire.example/1", "title": "Evacuation"},
        {"body": "Officials said 400 people left.", "date": "2024-10-23"},
    ]).encode() + b"{broken json\n" + json.dumps({"content": "Up to 3,000 people were displaced."}).encode()
        + b"\n", {"300 people", "400 people", "Up to 3,000 people"}),
}

LIMIT = 4_000  # --max-bytes for the batch: the large file is over it


def broken_files(folder: Path) -> dict[str, str]:
    """Write one file of each broken kind; file name → the words its reason must contain."""
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "undecodable.txt").write_bytes(b"Officials said 40 troops \x81\x8d\x8f\x90\x9d left.")
    (folder / "badbom.txt").write_bytes(codecs.BOM_UTF16_LE + b"A\x00B")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_bytes(b" \n\t\n")
    (folder / "large.txt").write_bytes(b"Officials said 40 troops left. " * 200)
    (folder / "locked.txt").write_bytes(b"Officials said 40 troops left.\n")
    os.symlink(folder / "nowhere.txt", folder / "dangling.txt")
    (folder / "bare.html").write_bytes(b"<html><head><script>var n = 5;</script></head><body></body></html>")
    return {
        "binary.txt": "binary file",
        "undecodable.txt": "not text",
        "badbom.txt": "not valid UTF-16",
        "empty.txt": "empty file",
        "blank.md": "empty file",
        "large.txt": f"too large: 6200 bytes (limit {LIMIT})",
        "locked.txt": "permission denied",
        "dangling.txt": "broken symbolic link",
        "bare.html": "no article text found in the page",
        "batch.jsonl:3": "invalid JSON",
    }


@pytest.fixture
def locked_files(monkeypatch):
    """Files named ``locked.*`` cannot be opened, as without read permission (which does
    not bind root, so it is simulated where the reader opens files)."""
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if Path(path).name.startswith("locked."):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(sources, "open", guarded_open, raising=False)


@pytest.fixture
def batch(tmp_path, locked_files) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "batch"
    folder.mkdir()
    for name, (data, _figures) in GOOD.items():
        (folder / name).write_bytes(data)
    return folder, broken_files(folder)


def _skipped_by_name(lines: list[str], folder: Path) -> dict[str, str]:
    found = {}
    for line in lines:
        path, _, reason = line.partition(": ")
        found[os.path.relpath(path, folder)] = reason
    return found


def test_a_batch_with_every_broken_kind_keeps_all_good_claims(batch):
    folder, expected = batch
    frame = figcheck.extract(str(folder), max_bytes=LIMIT)
    jsonl_docs = ["wire-1", "batch.jsonl#2", "batch.jsonl#4"]
    for name, (_data, figures) in GOOD.items():
        docs = jsonl_docs if name == "batch.jsonl" else [name]
        texts = set(frame.loc[frame["doc"].isin(docs), "text"])
        assert figures <= texts, (name, sorted(texts))
    skipped = _skipped_by_name(frame.attrs["skipped"], folder)
    assert set(skipped) == set(expected), skipped
    for name, words in expected.items():
        assert words in skipped[name], (name, skipped[name])
    assert frame.attrs["articles"] == 11  # 8 files and 3 JSONL lines


@pytest.mark.parametrize("command", ["claims", "report"])
def test_the_commands_name_every_bad_file_and_exit_0(batch, tmp_path, capsys, command):
    folder, expected = batch
    out = tmp_path / ("claims.csv" if command == "claims" else "out")
    # One process: the locked file is simulated in this one (tests/test_parallel.py reads
    # broken files with workers).
    args = [command, str(folder), "-o", str(out), "--max-bytes", str(LIMIT), "--jobs", "1"]
    assert cli.main(args + (["--no-charts"] if command == "report" else [])) == 0
    err = capsys.readouterr().err.splitlines()
    lines = [line.removeprefix("figcheck: skipped ") for line in err if line.startswith("figcheck: skipped ")]
    skipped = _skipped_by_name(lines, folder)
    assert set(skipped) == set(expected)
    if command == "report":
        markdown = (out / "discrepancies.md").read_text(encoding="utf-8")
        assert f"{len(expected)} files skipped:" in markdown
        for name, words in expected.items():
            line = next(line for line in markdown.splitlines()
                        if line.startswith("- ") and report.escape(name) in line)
            assert report.escape(words) in line, line
        claims_table = io.read_table(out / "claims.csv")
    else:
        claims_table = io.read_table(out)
    assert {"about 11,000 troops", "48 buses", "Up to 3,000 people"} <= set(claims_table["text"])


@pytest.mark.parametrize("command", ["claims", "report"])
def test_the_commands_exit_2_only_when_nothing_could_be_read(tmp_path, capsys, locked_files, command):
    folder = tmp_path / "broken"
    folder.mkdir()
    expected = broken_files(folder)
    (folder / "batch.jsonl").write_text("{broken json\n[1, 2]\n", encoding="utf-8")
    out = tmp_path / ("claims.csv" if command == "claims" else "out")
    # One process: the locked file is simulated in this one.
    assert cli.main([command, str(folder), "-o", str(out), "--max-bytes", str(LIMIT),
                     "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("figcheck: skipped ") == len(expected) + 1
    assert err.splitlines()[-1].startswith("figcheck: no article could be read from ")
    assert not out.exists()

    # One readable article, even without a single figure, is enough.
    (folder / "calm.txt").write_text("Nothing happened today.\n", encoding="utf-8")
    assert cli.main([command, str(folder), "-o", str(out), "--max-bytes", str(LIMIT),
                     "--jobs", "1"]) == 0


@pytest.mark.parametrize("encoding, prefix", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b""), ("utf-16-be", b""), ("cp1252", b""),
])
def test_every_encoding_a_newsroom_saves_in(encoding, prefix):
    text = "\u201cNearly 11\u00a0000 soldiers,\u201d caf\u00e9 owners said \u2013 \u20ac5 each.\r\n"
    assert sources.decode(prefix + text.encode(encoding)) == text


# --- HTML ------------------------------------------------------------------------------------

needs_trafilatura = pytest.mark.skipif(
    not sources.html_available(), reason="the html extra (trafilatura) is not installed")


@needs_trafilatura
def test_an_html_page_gives_its_text_title_date_and_outlet(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(PAGE.encode("cp1252"))
    batch = sources.read_batch([str(page)])
    assert batch.skipped == []
    article = batch.articles[0]
    assert (article.doc, article.source, article.url) == (
        "page.html", "Valley Radio", "https://valley.example/news/buses")
    assert (str(article.published), article.published_inferred) == ("2024-10-23", False)
    assert article.title == "Buses leave the valley"
    assert "Home | News" not in article.text and "Copyright" not in article.text
    assert "Café owners watched." in article.text  # the declared Windows-1252
    # The text reads back as the same .txt article.
    again = sources.parse_text_article("page.html", article.text)
    assert (again.body_start, again.source, again.url, again.published) == (
        article.body_start, article.source, article.url, article.published)


@needs_trafilatura
def test_html_pages_in_utf8_whatever_they_declare(tmp_path):
    page = PAGE.replace("Caf\xe9", "Caf\u00e9 \u201cowners\u201d")
    (tmp_path / "a.htm").write_bytes(page.encode("utf-8"))  # declares windows-1252
    article = sources.read_batch([str(tmp_path)]).articles[0]
    assert "Café “owners” owners watched." in article.text


@needs_trafilatura
def test_a_page_that_takes_too_long_is_skipped_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "HTML_TIME_LIMIT_SECONDS", 0.01)
    paragraphs = "".join(f"<p>Officials said {i} troops left on day {i}.</p>" for i in range(3000))
    (tmp_path / "slow.html").write_text(f"<html><body><article>{paragraphs}</article></body></html>",
                                        encoding="utf-8")
    batch = sources.read_batch([str(tmp_path)])
    assert batch.articles == []
    assert batch.skipped[0].reason.startswith(
        "too slow to read: taking the text from the page took more than 0.01 s")
    assert signal.getsignal(signal.SIGPROF) == signal.SIG_DFL  # the timer is gone
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


@needs_trafilatura
def test_a_program_with_its_own_timer_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "HTML_TIME_LIMIT_SECONDS", 0.01)
    (tmp_path / "page.html").write_bytes(PAGE.encode("cp1252"))
    mine = lambda signum, frame: None  # noqa: E731
    previous = signal.signal(signal.SIGPROF, mine)
    try:
        batch = sources.read_batch([str(tmp_path)])
        assert signal.getsignal(signal.SIGPROF) is mine
    finally:
        signal.signal(signal.SIGPROF, previous)
    assert [a.doc for a in batch.articles] == ["page.html"]  # read without a limit


def _paragraphs_page(count: int) -> str:
    """A page of ``count`` short paragraphs: past 10,000 tags trafilatura's time grows with
    their square, spent inside lxml calls (60,000: some 12 s; 20,000: more than a second)."""
    return "<html><body><article>" + "".join(
        f"<p>Officials said about {i:,} troops had arrived, the ministry said on day {i}.</p>\n"
        for i in range(count)) + "</article></body></html>"


@pytest.fixture
def fresh_children(monkeypatch):
    """No child left from another test, and whatever a test learns of children forgotten."""
    monkeypatch.setattr(page_process, "_idle", [])
    monkeypatch.setattr(page_process, "_unavailable", None)
    yield
    page_process.stop()


@needs_trafilatura
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_huge_page_is_skipped_with_the_reason_and_the_rest_read(tmp_path, monkeypatch, jobs,
                                                                    fresh_children):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)  # a chunk a file: the workers read them
    huge = _paragraphs_page(60_000)
    (tmp_path / "huge.html").write_text(huge, encoding="utf-8")
    (tmp_path / "page.html").write_bytes(PAGE.encode("cp1252"))
    (tmp_path / "plain.txt").write_text(" date 2024-10-22 Officials said 5 buses left.\n",
                                        encoding="utf-8")
    started = time.monotonic()
    table = figcheck.extract(str(tmp_path), jobs=jobs)
    assert time.monotonic() - started < 60  # not a hang
    assert table.attrs["skipped"] == [
        f"{tmp_path / 'huge.html'}: too slow to read: taking the text from the page took more "
        f"than 3 s ({len(huge):,} characters)"]
    assert set(table["doc"]) == {"page.html", "plain.txt"}


@needs_trafilatura
def test_the_kernel_stops_the_child_inside_lxml(fresh_children):
    # 20,000 paragraphs take trafilatura more than a second, most of it in single lxml
    # calls, which the in-process timer cannot interrupt; the child's timer ends it.
    options = dict(with_metadata=True, include_comments=False, include_tables=True,
                   include_images=False, include_links=False, deduplicate=False)
    with pytest.raises(page_process.TooSlow, match=f"^ended by signal {int(signal.SIGPROF)}$"):
        page_process.read(_paragraphs_page(20_000), options, 0.2)
    assert page_process._idle == []  # a child past its time is not kept
    answer = page_process.read(PAGE, options, 3.0)  # a new child reads the next page
    assert answer[0] == "page" and "48 buses" in answer[1]["text"]
    assert len(page_process._idle) == 1


@needs_trafilatura
def test_a_large_page_is_bounded_in_a_thread_too(tmp_path, monkeypatch, fresh_children):
    # Outside the main thread (a Dask worker's) the in-process limit cannot be kept at all.
    monkeypatch.setattr(sources, "HTML_TIME_LIMIT_SECONDS", 0.2)
    (tmp_path / "large.html").write_text(_paragraphs_page(20_000), encoding="utf-8")
    (tmp_path / "page.html").write_bytes(PAGE.encode("cp1252"))
    batches = []
    thread = threading.Thread(target=lambda: batches.append(sources.read_batch([str(tmp_path)])))
    thread.start()
    thread.join(60)
    [batch] = batches
    assert [a.doc for a in batch.articles] == ["page.html"]
    assert [(os.path.basename(s.path), s.reason) for s in batch.skipped] == [
        ("large.html", "too slow to read: taking the text from the page took more than 0.2 s "
                       f"({len(_paragraphs_page(20_000)):,} characters)")]


def _dated_page(paragraphs: int) -> str:
    return PAGE.replace("</article>", "".join(
        f"<p>Officials said about {i:,} troops had arrived on day {i}.</p>\n"
        for i in range(paragraphs)) + "</article>")


@needs_trafilatura
def test_a_page_reads_the_same_in_a_child_and_in_the_process(monkeypatch, fresh_children):
    pages = [PAGE, _dated_page(500), PAGE.replace("Buses", "Caf\udce9"),  # an undecodable byte
             "<html><head><script>var n = 5;</script></head><body></body></html>"]

    def read_all() -> list[str]:
        texts = []
        for page in pages:
            try:
                texts.append(sources.html_to_text(page))
            except sources.UnreadableError as exc:
                texts.append(f"unreadable: {exc}")
        return texts

    here = read_all()
    assert here[-1] == "unreadable: no article text found in the page"
    assert here[0].startswith(" date 2024-10-23\nsource: Valley Radio\nurl: https://valley")
    asked = []
    read = page_process.read
    monkeypatch.setattr(page_process, "read", lambda *args: asked.append(1) or read(*args))
    monkeypatch.setattr(sources, "HTML_CHILD_TAGS", 0)
    assert read_all() == here
    assert len(asked) == len(pages)


@needs_trafilatura
@pytest.mark.parametrize("program", ["missing", "/bin/false"])
def test_where_no_child_starts_pages_are_read_in_the_process(tmp_path, monkeypatch, program,
                                                           fresh_children):
    expected = sources.html_to_text(_dated_page(50))
    monkeypatch.setattr(sys, "executable", str(tmp_path / program) if program == "missing"
                        else program)
    monkeypatch.setattr(sources, "HTML_CHILD_TAGS", 0)
    assert sources.html_to_text(_dated_page(50)) == expected
    assert page_process._idle == []
    # ... under the in-process limit, as before.
    monkeypatch.setattr(sources, "HTML_TIME_LIMIT_SECONDS", 0.01)
    with pytest.raises(sources.UnreadableError, match="^too slow to read"):
        sources.html_to_text(_paragraphs_page(3000))


def test_without_trafilatura_every_page_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # import trafilatura fails
    (tmp_path / "page.html").write_bytes(PAGE.encode("cp1252"))
    (tmp_path / "a.txt").write_text("The council counted 75 votes.\n", encoding="utf-8")
    batch = sources.read_batch([str(tmp_path)])
    assert [a.doc for a in batch.articles] == ["a.txt"]
    assert [s.reason for s in batch.skipped] == [
        "reading HTML pages needs trafilatura: pip install 'figcheck[html]'"]
    assert not sources.html_available()


@needs_trafilatura
def test_offsets_of_an_html_page_point_into_the_kept_text(tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    for name in ("page.html", "batch.jsonl", "plain.txt"):
        (folder / name).write_bytes(GOOD[name][0])
    kept = tmp_path / "kept"
    out = tmp_path / "claims.csv"
    assert cli.main(["claims", str(folder), "-o", str(out), "--keep-text", str(kept)]) == 0
    table = io.read_table(out)
    assert set(table["doc"]) == {"page.html", "wire-1", "batch.jsonl#2", "batch.jsonl#4", "plain.txt"}
    files = {p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file()}
    assert files == {"page.html.txt", "wire-1.txt", "batch.jsonl#2.txt", "batch.jsonl#4.txt",
                     "plain.txt"}
    for row in table.itertuples():
        text = (kept / sources.kept_text_name(row.doc)).read_bytes().decode("utf-8")
        assert text[row.start:row.end] == row.text
    assert (kept / "plain.txt").read_bytes() == GOOD["plain.txt"][0]
    # The kept page is a .txt article that gives the same claims at the same offsets.
    again = figcheck.extract(str(kept / "page.html.txt"))
    page = table[table["doc"] == "page.html"]
    assert list(again["text"]) == list(page["text"])
    assert list(again["start"]) == list(page["start"])
    assert list(again["published"]) == list(page["published"])


def test_kept_texts_are_whole_also_for_articles_a_cache_knows(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "plain.txt").write_bytes(GOOD["plain.txt"][0])
    os.utime(folder / "plain.txt", (1_577_836_800, 1_577_836_800))  # old: its stat is trusted
    cache = tmp_path / "cache.sqlite"
    for run in ("first", "second"):
        kept = tmp_path / f"kept-{run}"
        frame = figcheck.extract(str(folder), cache=str(cache), keep_text=str(kept))
        assert (kept / "plain.txt").read_bytes() == GOOD["plain.txt"][0], run
        assert frame.attrs["texts"] == {"plain.txt": str(kept / "plain.txt")}


def test_kept_text_names_stay_inside_the_folder(tmp_path):
    articles = [sources.Article(doc=doc, text=f"{doc} said 5 people left.\n")
                for doc in ("../../escape", "/abs/path", "a|b<c>", "", ".hidden", "x/../y")]
    written = sources.write_texts(articles, tmp_path / "kept")
    assert len(set(written.values())) == len(articles)
    root = (tmp_path / "kept").resolve()
    for doc, path in written.items():
        assert Path(path).resolve().is_relative_to(root), (doc, path)
        assert Path(path).read_text(encoding="utf-8") == f"{doc} said 5 people left.\n"


# --- figures in Unicode typography -------------------------------------------------------------

@pytest.mark.parametrize("written, value, low, high", [
    ("about 11\u00a0000 troops", 11000, None, None),         # non-breaking space
    ("about 11\u2009000 troops", 11000, None, None),         # thin space
    ("about 11\u202f000 troops", 11000, None, None),         # narrow non-breaking space
    ("1\u2009234\u2009567 troops", 1234567, 1234567, 1234567),
    ("10,000\u201312,000 troops", 11000, 10000, 12000),      # en dash
    ("10,000\u201412,000 troops", 11000, 10000, 12000),      # em dash
    ("10,000\u221212,000 troops", 11000, 10000, 12000),      # minus sign
    ("10,000\u201012,000 troops", 11000, 10000, 12000),      # hyphen
    ("10\u00a0000\u201312\u00a0000 troops", 11000, 10000, 12000),
    ("10,000 \u2013 12,000 troops", 11000, 10000, 12000),
])
def test_figures_with_unicode_spaces_and_dashes(written, value, low, high):
    frame = figcheck.extract_text(f"Officials said {written} had arrived.", published="2024-10-22")
    assert list(frame["text"]) == [written]
    row = frame.iloc[0]
    assert row["value"] == value
    assert (None if pd.isna(row["low"]) else row["low"]) == low
    assert (None if pd.isna(row["high"]) else row["high"]) == high


def test_curly_quotes_and_non_breaking_spaces_around_a_figure():
    text = "\u201cAbout\u00a011,000\u00a0troops have arrived,\u201d Zelensky said."
    frame = figcheck.extract_text(text, published="2024-10-22")
    assert list(frame["text"]) == ["About\u00a011,000\u00a0troops"]
    assert frame.loc[0, "attributed_to"] == "Zelensky"
    assert frame.loc[0, "start"] == 1


@pytest.mark.parametrize("written", ["about 11\u2019000 troops", "about 11'000 troops",
                                     "about \u0661\u0661\u066c\u0660\u0660\u0660 troops"])
def test_figures_grouped_with_apostrophes_or_the_arabic_separator(written):
    frame = figcheck.extract_text(f"Officials said {written} had arrived.", published="2024-10-22")
    assert list(frame["text"]) == [written]
    assert frame.loc[0, "value"] == 11000


def test_a_figure_grouped_with_plain_spaces():
    frame = figcheck.extract_text("Officials said about 11 000 troops had arrived.", published="2024-10-22")
    assert list(frame["text"]) == ["about 11 000 troops"]
    assert frame.loc[0, "value"] == 11000
    assert frame.loc[0, "qualifier"] == "about"
    assert "NUM-SPACE-GROUPS" in frame.loc[0, "rule_ids"].split()


@pytest.mark.parametrize("sentence, texts, values", [
    ("Some 1 250 000 people have fled the region.", ["Some 1 250 000 people"], [1_250_000]),
    ("The drought killed 12 500 000 trees.", ["12 500 000 trees"], [12_500_000]),
    ("The drought killed 12 500 trees.", ["12 500 trees"], [12_500]),
    ("The army moved between 10 000 and 12 000 troops.", ["between 10 000 and 12 000 troops"], [11_000]),
    ("The army moved 10 000\u201312 000 troops.", ["10 000\u201312 000 troops"], [11_000]),
    ("The army moved 900\u20131 200 troops.", ["900\u20131 200 troops"], [1_050]),
    ("Donors gave $35 000 to the fund.", ["$35 000"], [35_000]),
    ("In October 500 000 people marched.", ["500 000 people"], [500_000]),   # no day after a month
    ("Farmers lost 1 234.5 tonnes of grain.", ["1 234.5 tonnes"], [1_234.5]),
    ("Of 1 000 soldiers, 300 were wounded.", ["1 000 soldiers", "300"], [1_000, 300]),
    ("Police counted (8 000 people) in the square.", ["8 000 people"], [8_000]),
])
def test_figures_grouped_with_plain_spaces(sentence, texts, values):
    frame = figcheck.extract_text(sentence, published="2024-10-22")
    assert list(frame["text"]) == texts
    assert list(frame["value"]) == values


@pytest.mark.parametrize("sentence, texts, values, as_of", [
    # A day after a month name, then a count.
    ("On October 17 200 soldiers crossed the border.", ["200 soldiers"], [200], "2024-10-17"),
    ("Oct. 3 400 troops withdrew from the town.", ["400 troops"], [400], "2024-10-03"),
    ("On October 17\u201318 200 people marched.", ["200 people"], [200], "2024-10-17"),
    # A year (four digits are never a first group), then a count.
    ("In 2023 500 people were evacuated.", ["500 people"], [500], None),
    # A number that names something, then a count.
    ("Aboard Flight 17 298 passengers died.", ["298 passengers"], [298], None),
    ("The Boeing 737 200 passengers had boarded was grounded.", ["200 passengers"], [200], None),
    # Telephone numbers: a run that goes on past its groups, a run after a country code.
    ("Call 1 800 555 0199 for help.", [], [], None),
    ("Dial +34 912 345 678 for the embassy.", [], [], None),
    # A leading zero: a code, not a first group.
    ("The code 012 345 opened the gate.", ["345"], [345], None),
    # A line of groups longer than any figure's: a table row.
    ("Scores of 120 340 560 780 910 230 were posted.", [], [], None),
    # Only a plain space groups: a line break parts two numbers.
    ("The hospital admitted 17\n200 more arrived.", ["17", "200"], [17, 200], None),
])
def test_numbers_a_plain_space_parts_stay_apart(sentence, texts, values, as_of):
    frame = figcheck.extract_text(sentence, published="2024-10-22")
    assert list(frame["text"]) == texts
    assert list(frame["value"]) == values
    assert not any("NUM-SPACE-GROUPS" in ids.split() for ids in frame["rule_ids"])
    if as_of is not None:
        assert str(frame.loc[0, "as_of"].date()) == as_of


def test_a_vulgar_fraction_in_a_figure():
    frame = figcheck.extract_text("Officials said 2\u00bd million people fled.", published="2024-10-22")
    assert list(frame["text"]) == ["2\u00bd million people"]
    assert frame.loc[0, "value"] == 2_500_000


# --- articles the extractor cannot read ---------------------------------------------------------

@pytest.fixture
def fragile_engine(monkeypatch):
    """An engine that times out on articles containing TIMEOUT and fails on ones with CRASH."""
    real_extract = claims.Engine.extract

    def extract(self, article, debug=None):
        if "TIMEOUT" in article.text:
            raise claims.ArticleTimeout(f"{article.doc}: a rule took too long on this text")
        if "CRASH" in article.text:
            raise ValueError("could not convert string to float")
        return real_extract(self, article, debug)

    monkeypatch.setattr(claims.Engine, "extract", extract)


def test_an_article_that_times_out_or_fails_is_reported_and_left_out(tmp_path, fragile_engine, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text("Officials said 400 people left.\n", encoding="utf-8")
    (folder / "slow.txt").write_text("TIMEOUT 1,1,1,1\n", encoding="utf-8")
    (folder / "b.jsonl").write_text(json.dumps({"id": "bad", "text": "CRASH 5 people"}) + "\n"
                                    + json.dumps({"text": "Police said 30 people left."}) + "\n",
                                    encoding="utf-8")
    out = tmp_path / "out"
    # One process: the fragile engine is this process's (tests/test_parallel.py has workers).
    assert cli.main(["report", str(folder), "-o", str(out), "--no-charts", "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert (f"figcheck: skipped {folder / 'slow.txt'}: a rule took too long on this text\n") in err
    assert (f"figcheck: skipped {folder / 'b.jsonl'} (bad): the extractor failed on this text "
            "(ValueError: could not convert string to float); please report it\n") in err
    table = io.read_table(out / "claims.csv")
    assert set(table["text"]) == {"400 people", "30 people"}
    markdown = (out / "discrepancies.md").read_text(encoding="utf-8")
    assert "2 articles" in markdown and "2 files skipped" in markdown


def test_exit_2_when_every_article_times_out(tmp_path, fragile_engine, capsys):
    (tmp_path / "slow.txt").write_text("TIMEOUT\n", encoding="utf-8")
    assert cli.main(["claims", str(tmp_path)]) == 2
    assert "a rule took too long on this text" in capsys.readouterr().err


# --- the report's structure -----------------------------------------------------------------------

HOSTILE_ARTICLE = """\
# Injected heading

| a | table | row |
|---|---|---|
Officials said 10,000 troops | `code` <script>alert(1)</script> [x](javascript:alert(1)) arrived.

```
fenced
```

Ministry said 14,000 troops | *bold* ## not a heading <img src=x onerror=alert(1)> arrived.
"""


def _structure(markdown: str) -> tuple[list[str], list[set[int]]]:
    """The level of each heading of the report, and per table the numbers of cells its rows
    have (as counted by unescaped pipes): one number per table when no row is broken."""
    headings = [line.split(" ")[0] for line in markdown.splitlines() if line.lstrip().startswith("#")]
    tables = []
    for block in markdown.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            tables.append({row.replace("\\|", "").count("|") for row in rows})
    return headings, tables


def test_markup_in_articles_names_and_ids_cannot_change_the_report(tmp_path):
    plain, hostile = tmp_path / "plain", tmp_path / "hostile"
    plain.mkdir()
    hostile.mkdir()
    calm = HOSTILE_ARTICLE
    for marks in ("# Injected heading", "| a | table | row |", "|---|---|---|", "```", "fenced",
                  " | `code` <script>alert(1)</script> [x](javascript:alert(1))",
                  " | *bold* ## not a heading <img src=x onerror=alert(1)>"):
        calm = calm.replace(marks, "")
    (plain / "a.txt").write_text(calm, encoding="utf-8")
    (plain / "b.jsonl").write_text(json.dumps({"id": "b", "text": calm}) + "\n", encoding="utf-8")
    (plain / "c.txt").write_bytes(b"\x00")
    (hostile / "a.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (hostile / "b.jsonl").write_text(json.dumps({
        "id": "b|`x`\n# id <script>", "text": HOSTILE_ARTICLE,
        "source": "Out|let\n## <b>", "url": "https://x.example/a)|[b](c"}) + "\n", encoding="utf-8")
    (hostile / "c |`# <script>\n.txt").write_bytes(b"\x00")
    reports = {}
    for folder in (plain, hostile):
        out = tmp_path / f"out-{folder.name}"
        assert cli.main(["report", str(folder), "-o", str(out), "--no-charts"]) == 0
        reports[folder.name] = (out / "discrepancies.md").read_text(encoding="utf-8")
    markdown = reports["hostile"]
    assert _structure(markdown) == _structure(reports["plain"])
    assert "<script" not in markdown and "<img" not in markdown and "<b>" not in markdown
    assert "```" not in markdown and "b\\|\\`x\\`" in markdown
    assert "10,000 troops" in markdown and "14,000 troops" in markdown


# --- atomic writes ------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import os, sys, time
    import pandas as pd
    from figcheck import io

    real_fdopen = os.fdopen

    class Slow:
        # A file that writes a little, says so, then stalls: the parent kills the process.
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[:1000])
            self.handle.flush()
            print("writing", flush=True)
            time.sleep(60)
        def __getattr__(self, name):
            return getattr(self.handle, name)

    # Only figcheck.io's writes stall (the module sees an os of its own): other writers of
    # the process, such as the compiled patterns figcheck keeps, write as usual.
    class OsOfIo(type(os)):
        def __getattr__(self, name):
            return getattr(os, name)

    io.os = OsOfIo("os")
    io.os.fdopen = lambda fd, mode: Slow(real_fdopen(fd, mode))
    kind, path = sys.argv[1], sys.argv[2]
    frame = pd.DataFrame({"doc": ["new.txt"] * 10_000, "value": range(10_000)})
    if kind == "table":
        io.write_table(frame, path)
    elif kind == "baseline":
        from figcheck import check
        check.write_baseline(check.Baseline(), path)
    else:
        import figcheck
        from figcheck.config import Config
        claims = figcheck.extract_text("Officials said 10,000 troops arrived. Others said 14,000 troops.")
        figcheck.write_report(claims, path, config=Config(charts=False))
""")


def test_a_writer_killed_midway_leaves_the_old_file(tmp_path):
    """A table, a baseline and a report, each written by a process killed in the middle of
    writing (the three at once, to keep the test short)."""
    targets, old = {}, {}
    for kind in ("table", "baseline", "report"):
        target = tmp_path / kind / {"table": "claims.csv", "baseline": "baseline.json"}.get(kind, "reports")
        target.parent.mkdir()
        if kind != "report":
            target.write_text("old\n", encoding="utf-8")
            old[target] = target.read_bytes()
        else:
            target.mkdir()
            for name in ("claims.csv", "discrepancies.csv", "discrepancies.md"):
                (target / name).write_text(f"old {name}\n", encoding="utf-8")
                old[target / name] = (target / name).read_bytes()
        targets[kind] = target
    processes = {kind: subprocess.Popen([sys.executable, "-c", WRITER, kind, str(target)],
                                        stdout=subprocess.PIPE, text=True, cwd=REPOSITORY)
                 for kind, target in targets.items()}
    try:
        for kind, process in processes.items():
            assert process.stdout.readline() == "writing\n", kind  # a temporary file is half written
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
    for path, data in old.items():
        assert path.read_bytes() == data, path
    for kind, target in targets.items():
        folder = target if kind == "report" else target.parent
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert len(leftovers) == 1 and leftovers[0].startswith("."), (kind, leftovers)
        # A batch folder holding the leftover does not read it: hidden files are passed over.
        assert sources.read_batch([str(folder)]).skipped == []
