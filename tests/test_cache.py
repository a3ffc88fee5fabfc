"""The extraction cache: the same table with and without it, what it skips, and when it
is rebuilt, shared, or unusable.

Articles here are written for these tests; the seed articles of ``sources/`` stand for a
batch of real ones.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import figcheck
from figcheck import cache, claims
from figcheck.cache import Cache

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"
HOUR_NS = 3600 * 10**9

QUAKE = (" date 2023-02-10\nsource: Harbor Times\n\nRescue teams kept digging through the night.\n\n"
         "The national disaster agency said 2,400 people were killed in Turkey by the earthquake.\n")
FERRY = (" date 2023-05-02\nsource: Coastal Ledger\n\n"
         "The Libyan coast guard said 310 migrants were rescued from a sinking boat.\n")
# No date of its own: its year comes from the rest of the batch.
UNDATED = ("The harbour master said on February 12 that 45 boats were lost in the storm.\n")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def age(path: Path, hours: float = 1) -> None:
    """Set a file's modification time in the past, as a file checked out earlier has."""
    then = time.time_ns() - int(hours * HOUR_NS)
    os.utime(path, ns=(then, then))


@pytest.fixture
def batch(tmp_path) -> Path:
    """A batch with every kind of input the reader knows, the seeds among them."""
    folder = tmp_path / "batch"
    shutil.copytree(SEEDS, folder / "seeds")
    write(folder / "quake.txt", QUAKE)
    write(folder / "more" / "ferry.md", FERRY)
    write(folder / "undated.txt", UNDATED)
    write(folder / "wire.jsonl", json.dumps({"id": "w1", "text": FERRY, "source": "Wire"}) + "\n"
          + "not json\n" + json.dumps({"text": QUAKE, "published": "2023-02-11"}) + "\n")
    write(folder / "empty.txt", "")
    write(folder / "binary.txt", b"\x00\x01\x02")
    write(folder / "README.md", "Not an article: 5 notes.\n")
    (folder / "link.txt").symlink_to(folder / "quake.txt")
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            age(path)
    return folder


def paths_of(batch: Path) -> list[str]:
    # The folder, one of its files again (read once) and a file of the same name elsewhere
    # (its doc gets #2): every rule of read_batch's walk.
    return [str(batch), str(batch / "quake.txt"), str(batch / "more" / "ferry.md")]


def assert_same(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.attrs == expected.attrs


def test_the_table_is_the_same_with_and_without_the_cache(tmp_path, batch):
    expected = figcheck.extract(paths_of(batch))
    assert expected.attrs["skipped"], "the batch has unreadable files"
    assert len(expected), "the batch has claims"
    store = tmp_path / "cache.sqlite"
    with Cache(store) as first:
        assert_same(figcheck.extract(paths_of(batch), cache=first), expected)
    assert first.stats.articles_extracted == expected.attrs["articles"]
    with Cache(store) as second:
        assert_same(figcheck.extract(paths_of(batch), cache=second), expected)
    assert second.warning is None
    assert second.stats.articles_extracted == 0
    assert second.stats.articles_from_cache == expected.attrs["articles"]
    # Dated .txt/.md files are known by their stat; undated ones are read for their year.
    assert second.stats.files_stat_only >= 5
    assert second.stats.files_parsed == 0


def test_a_batch_read_from_the_cache_is_the_batch_read_batch_reads(tmp_path, batch):
    from figcheck import sources

    expected = sources.read_batch(paths_of(batch))
    with Cache(tmp_path / "c.sqlite") as store:
        figcheck.extract(paths_of(batch), cache=store)
    with Cache(tmp_path / "c.sqlite") as store:
        got = store.read_batch(paths_of(batch))
    assert [str(s) for s in got.skipped] == [str(s) for s in expected.skipped]
    fields = ("doc", "body_start", "source", "url", "title", "published", "published_inferred", "path")
    assert [tuple(getattr(a, f) for f in fields) for a in got.articles] == \
        [tuple(getattr(a, f) for f in fields) for a in expected.articles]


def test_only_new_and_changed_articles_are_extracted(tmp_path, batch):
    store = tmp_path / "cache.sqlite"
    figcheck.extract(str(batch), cache=store)
    write(batch / "new" / "one.txt", QUAKE.replace("2,400", "2,900"))
    changed = batch / "quake.txt"
    write(changed, QUAKE.replace("2,400", "2,500"))
    with Cache(store) as again:
        frame = figcheck.extract(str(batch), cache=again)
    # The new one and the changed one (read under the name of the link to it, link.txt,
    # which comes first: a file reached twice is read once).
    assert again.stats.articles_extracted == 2
    assert_same(frame, figcheck.extract(str(batch)))


def test_a_file_changed_within_the_same_tick_is_read_again(tmp_path):
    """Git's racily clean files: same size, same modification time, other content."""
    article = write(tmp_path / "batch" / "quake.txt", QUAKE)
    stamp = article.stat().st_mtime_ns
    store = tmp_path / "cache.sqlite"
    with Cache(store) as first:
        figcheck.extract(str(tmp_path / "batch"), cache=first)
    write(article, QUAKE.replace("2,400", "2,900"))
    os.utime(article, ns=(stamp, stamp))
    with Cache(store) as second:
        frame = figcheck.extract(str(tmp_path / "batch"), cache=second)
    assert second.stats.files_stat_only == 0
    assert list(frame["text"]) == ["2,900 people"]


def test_a_file_read_again_is_not_parsed_again(tmp_path):
    """Just written (racily clean), or copied elsewhere: read and hashed, not parsed."""
    article = write(tmp_path / "batch" / "quake.txt", QUAKE)
    store = tmp_path / "cache.sqlite"
    figcheck.extract(str(tmp_path / "batch"), cache=store)
    write(tmp_path / "batch" / "copy" / "quake.txt", article.read_text())
    with Cache(store) as again:
        frame = figcheck.extract(str(tmp_path / "batch"), cache=again)
    assert (again.stats.files_read, again.stats.files_parsed) == (2, 0)
    assert again.stats.articles_extracted == 1  # the copy: another doc
    assert_same(frame, figcheck.extract(str(tmp_path / "batch")))


def test_a_file_whose_stat_is_old_enough_is_not_opened(tmp_path, monkeypatch):
    article = write(tmp_path / "batch" / "quake.txt", QUAKE)
    age(article)
    store = tmp_path / "cache.sqlite"
    expected = figcheck.extract(str(tmp_path / "batch"), cache=store)
    opened = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    with Cache(store) as again:
        frame = figcheck.extract(str(tmp_path / "batch"), cache=again)
    assert again.stats.files_stat_only == 1
    assert str(article) not in opened
    assert_same(frame, expected)


def test_the_cache_is_rebuilt_when_the_rules_change(tmp_path):
    folder = tmp_path / "batch"
    write(folder / "quake.txt", QUAKE)
    store = tmp_path / "cache.sqlite"
    figcheck.extract(str(folder), cache=store)
    rules = tmp_path / "my_rules"
    write(rules / "units.toml", "# a rule file of the user's own, empty for now\n")
    with Cache(store) as again:
        figcheck.extract(str(folder), rule_dirs=[str(rules)], cache=again)
    assert again.stats.articles_extracted == 1
    with sqlite3.connect(store) as db:
        versions = {row[0] for row in db.execute("SELECT version FROM articles")}
        stored = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()[0]
    assert versions == {stored} == {cache.version([str(rules)])}


def test_entries_of_another_version_are_never_read(tmp_path, monkeypatch):
    folder = tmp_path / "batch"
    write(folder / "quake.txt", QUAKE)
    store = tmp_path / "cache.sqlite"
    figcheck.extract(str(folder), cache=store)
    monkeypatch.setattr(cache, "version", lambda rule_dirs=(): "another figcheck")
    with Cache(store) as again:
        figcheck.extract(str(folder), cache=again)
    assert again.stats.articles_extracted == 1
    assert again.stats.files_parsed == 1


def test_an_article_that_times_out_is_not_stored(tmp_path, monkeypatch):
    folder = tmp_path / "batch"
    write(folder / "quake.txt", QUAKE)
    write(folder / "ferry.txt", FERRY)
    real = claims.extract_articles

    def slow_ferry(articles, *, rule_dirs=(), on_error=None):
        fast = [a for a in articles if "coast guard" not in a.text]
        for article in articles:
            if article not in fast:
                on_error(article, claims.ArticleTimeout(f"{article.doc}: too slow"))
        return real(fast, rule_dirs=rule_dirs, on_error=on_error)

    monkeypatch.setattr(claims, "extract_articles", slow_ferry)
    store = tmp_path / "cache.sqlite"
    frame = figcheck.extract(str(folder), cache=store)
    assert any("too slow" in s for s in frame.attrs["skipped"])
    monkeypatch.setattr(claims, "extract_articles", real)
    with Cache(store) as again:
        frame = figcheck.extract(str(folder), cache=again)
    assert again.stats.articles_extracted == 1
    assert set(frame["doc"]) == {"quake.txt", "ferry.txt"}


def test_an_unusable_cache_is_reported_and_changes_nothing(tmp_path):
    folder = tmp_path / "batch"
    write(folder / "quake.txt", QUAKE)
    broken = write(tmp_path / "cache.sqlite", b"this is not a database" * 100)
    with Cache(broken) as store:
        frame = figcheck.extract(str(folder), cache=store)
    assert store.warning and store.warning.startswith(f"cache {broken} not used: ")
    assert_same(frame, figcheck.extract(str(folder)))
    assert broken.read_bytes() == b"this is not a database" * 100


def test_two_runs_can_share_a_cache(tmp_path):
    """A run reads while another holds the write lock, and writes once it is released."""
    folder = tmp_path / "batch"
    write(folder / "quake.txt", QUAKE)
    store = tmp_path / "cache.sqlite"
    Cache(store).close()
    other = sqlite3.connect(store, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another run, writing
    released = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    released.start()
    try:
        with Cache(store) as mine:
            frame = figcheck.extract(str(folder), cache=mine)
    finally:
        released.join()
        other.close()
    assert mine.warning is None
    assert list(frame["text"]) == ["2,400 people"]
    with Cache(store) as again:
        figcheck.extract(str(folder), cache=again)
    assert again.stats.articles_from_cache == 1


def _extract_as_csv(folder: str, store: str) -> str:
    from figcheck import io
    return io.to_text(figcheck.extract(folder, cache=store), ".csv")


def test_processes_share_a_cache(tmp_path):
    """Three runs at once on one cache file (processes: the extractor is not thread-safe)."""
    import multiprocessing

    folder = tmp_path / "batch"
    for number in range(6):
        write(folder / f"a{number}.txt", QUAKE.replace("2,400", f"2,4{number}0"))
    from figcheck import io
    expected = io.to_text(figcheck.extract(str(folder)), ".csv")
    store = str(tmp_path / "cache.sqlite")
    with multiprocessing.get_context("fork").Pool(3) as pool:
        results = pool.starmap(_extract_as_csv, [(str(folder), store)] * 3)
    assert results == [expected] * 3
    with Cache(store) as again:
        figcheck.extract(str(folder), cache=again)
    assert again.stats.articles_from_cache == 6


def test_the_cache_folder_keeps_itself_out_of_git(tmp_path):
    with Cache(tmp_path / ".figcheck" / "cache.sqlite"):
        pass
    assert (tmp_path / ".figcheck" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_the_stat_of_a_file_proves_its_content_only_when_old_enough():
    second = 10**9
    assert cache._trusted(100 * second + 1, 102 * second)
    assert not cache._trusted(100 * second + 1, 100 * second + 500_000_000)
    # Whole-second times: the file system may round down by up to a second or two.
    assert not cache._trusted(100 * second, 101 * second + 500_000_000)
    assert cache._trusted(100 * second, 103 * second)


def test_rows_are_taken_from_the_snapshot_and_the_other_blocks_in_the_articles_order():
    # Per article: (its first row in the snapshot, rows), or (-1, rows) for the next rows
    # of the others; an article may have no rows.
    snapshot = pd.DataFrame({"x": range(10)})
    others = pd.DataFrame({"x": range(100, 105)})
    places = [(3, 2), (-1, 2), (0, 0), (7, 3), (-1, 3), (0, 1)]
    table, taken = cache._combine(snapshot, others, places)
    assert table["x"].tolist() == [3, 4, 100, 101, 7, 8, 9, 102, 103, 104, 0]
    assert taken.tolist() == [3, 4, -1, -1, 7, 8, 9, -1, -1, -1, 0]
    assert list(table.index) == list(range(11))


def test_quantity_keys_are_stored_per_article_and_per_settings(tmp_path, batch):
    settings = figcheck.config.from_dict({
        "quantities": {"names": {"turkish killed": "quake deaths"},
                       "split": [{"quantity": "north korean soldiers", "when": "(?i)kursk",
                                  "name": "dprk troops in kursk"}]}})
    store = tmp_path / "cache.sqlite"
    for config in (None, settings, None):
        expected = figcheck.extract(paths_of(batch), config=config)
        with Cache(store) as again:
            assert_same(figcheck.extract(paths_of(batch), config=config, cache=again), expected)
    assert "quake deaths" in set(figcheck.extract(paths_of(batch), config=settings, cache=store)["quantity"])
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM quantities").fetchone()[0] > 0


def test_the_kept_texts_of_cached_articles_are_their_texts(tmp_path, batch):
    store = tmp_path / "cache.sqlite"
    figcheck.extract(str(batch), cache=store)
    expected = figcheck.extract(str(batch), keep_text=tmp_path / "plain")
    with Cache(store) as again:
        frame = figcheck.extract(str(batch), cache=again, keep_text=tmp_path / "cached")
    assert again.stats.files_stat_only > 0
    pd.testing.assert_frame_equal(frame, expected)
    for name in expected.attrs["texts"].values():
        plain = (tmp_path / "plain" / name).read_bytes()
        assert (tmp_path / "cached" / name).read_bytes() == plain


@pytest.mark.parametrize("arrow, slack", [(True, 0.0), (True, 1.0), (False, 0.0)],
                         ids=["snapshot rewritten", "snapshot kept", "without pyarrow"])
def test_runs_after_a_batch_is_added_give_the_table_of_a_run_without_cache(tmp_path, batch,
                                                                          monkeypatch, arrow,
                                                                          slack):
    """The batch's snapshot (with pyarrow; rewritten each run, or kept and the new articles
    read from their own entries) or each article's entry: the same table."""
    monkeypatch.setattr(cache, "SNAPSHOT_SLACK", slack)
    if not arrow:
        monkeypatch.setattr(cache, "_arrow", lambda: None)
    store = tmp_path / "cache.sqlite"
    figcheck.extract(paths_of(batch), cache=store)
    for number in range(3):
        write(batch / "added" / f"toll{number}.txt", QUAKE.replace("2,400", f"2,{number}00"))
        with Cache(store) as again:
            frame = figcheck.extract(paths_of(batch), cache=again)
        assert again.stats.articles_extracted == 1
        assert_same(frame, figcheck.extract(paths_of(batch)))
        with Cache(store) as unchanged:
            assert_same(figcheck.extract(paths_of(batch), cache=unchanged), frame)
        assert unchanged.stats.articles_extracted == 0
    with sqlite3.connect(store) as db:
        snapshots = db.execute("SELECT count(*) FROM snapshot").fetchone()[0]
    assert snapshots == (1 if arrow else 0)


@pytest.mark.parametrize("part", ["claims", "articles", "files"])
def test_a_damaged_snapshot_is_not_used(tmp_path, batch, part):
    store = tmp_path / "cache.sqlite"
    expected = figcheck.extract(str(batch), cache=store)
    with sqlite3.connect(store) as db:
        db.execute(f"UPDATE snapshot SET {part} = ?", (b"not arrow",))
    with Cache(store) as again:
        assert_same(figcheck.extract(str(batch), cache=again), expected)
    assert again.warning is None


def test_a_folder_listing_is_kept_until_the_folder_changes(tmp_path, monkeypatch):
    """As git's untracked cache: only the folders whose times changed are listed again."""
    folder = tmp_path / "batch"
    write(folder / "a" / "quake.txt", QUAKE)
    write(folder / "b" / "ferry.txt", FERRY)
    for path in [folder, folder / "a", folder / "b", folder / "a" / "quake.txt", folder / "b" / "ferry.txt"]:
        age(path)
    store = tmp_path / "cache.sqlite"
    expected = figcheck.extract(str(folder), cache=store)
    from figcheck import sources
    listed = []
    real = sources.list_folder
    monkeypatch.setattr(sources, "list_folder",
                        lambda path: listed.append(os.path.relpath(path, folder)) or real(path))
    assert_same(figcheck.extract(str(folder), cache=store), expected)
    assert listed == []
    # A file added: its folder alone is listed again.
    write(folder / "b" / "toll.txt", QUAKE.replace("2,400", "2,900"))
    frame = figcheck.extract(str(folder), cache=store)
    assert listed == ["b"]
    assert "b/toll.txt" in set(frame["doc"])
    # A file renamed with its folder's time set back: the folder's change time tells.
    age(folder / "b")
    figcheck.extract(str(folder), cache=store)
    stamp = (folder / "a").stat().st_mtime_ns
    (folder / "a" / "quake.txt").rename(folder / "a" / "renamed.txt")
    os.utime(folder / "a", ns=(stamp, stamp))
    listed.clear()
    assert "a/renamed.txt" in set(figcheck.extract(str(folder), cache=store)["doc"])
    assert listed == ["a"]
    # A folder added: its parent and itself.
    age(folder / "a")
    figcheck.extract(str(folder), cache=store)
    write(folder / "c" / "quake.txt", QUAKE)
    listed.clear()
    assert "c/quake.txt" in set(figcheck.extract(str(folder), cache=store)["doc"])
    assert sorted(listed) == [".", "c"]
    assert_same(figcheck.extract(str(folder), cache=store), figcheck.extract(str(folder)))


def test_a_file_the_index_knows_under_another_doc_gets_that_doc(tmp_path, batch):
    """The batch index knows files by their real path: reached from another folder (other
    docs), or given a #2 by a file of the same name, an article's rows carry its doc."""
    for path in batch.rglob("*"):
        if not path.is_symlink():
            age(path)
    store = tmp_path / "cache.sqlite"
    figcheck.extract(paths_of(batch), cache=store)
    for paths in ([str(batch)], [str(batch.parent)], paths_of(batch),
                  [str(batch / "more" / "ferry.md"), str(batch)]):
        with Cache(store) as again:
            frame = figcheck.extract(paths, cache=again)
        assert again.stats.files_stat_only > 0
        assert_same(frame, figcheck.extract(paths))
