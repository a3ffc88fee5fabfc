"""``--jobs N``: a batch read and extracted by worker processes gives the serial result, byte
for byte: the same claims in the same order, the same skipped files with the same reasons,
the same dates for undated articles and the same docs for articles that share a name."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from figcheck import api, claims, cli, dates, io, parallel, sources

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"


def serial(paths: list[str]) -> tuple[str, list[str], int]:
    """The batch as one process reads it in one piece: CSV, skipped, articles."""
    batch = sources.read_batch(paths)
    dates.fill_missing_dates(batch.articles)
    articles = sorted(batch.articles, key=lambda a: a.doc)
    frame, failed = api._extract_each(claims.extract_articles, articles, ())
    return (io.to_text(frame), [str(s) for s in batch.skipped] + failed,
            len(batch.articles) - len(failed))


@pytest.fixture
def mixed(tmp_path) -> list[str]:
    """Seeds (two undated), a JSONL file with a repeated id and a bad line, two files of one
    name in two folders, broken files, a missing path, and a year that two dates share."""
    folder = tmp_path / "batch"
    shutil.copytree(SEEDS, folder / "seeds")
    for name in ("one", "two"):  # named one by one: both are doc 000_...txt
        (tmp_path / name).mkdir()
        text = (SEEDS / "000_e5877635cf43af47.txt").read_text(encoding="utf-8")
        (tmp_path / name / "000_e5877635cf43af47.txt").write_text(text + f"\nCopy {name}.\n",
                                                                  encoding="utf-8")
    records = [{"id": "wire-1", "text": "Police said 300 people were evacuated on October 3.",
                "published": "2023-10-04"},
               {"id": "wire-1", "text": "Officials said 400 people left on October 4.",
                "published": "2024-10-05"},
               {"text": "On October 2, officials said 500 people left."}]
    (folder / "wire.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records[:2]) + "\n{broken json\n"
        + json.dumps(records[2]) + "\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "undated.txt").write_text("On December 30, the ministry said 12 people died.\n",
                                        encoding="utf-8")
    return [str(tmp_path / "one" / "000_e5877635cf43af47.txt"), str(folder),
            str(tmp_path / "missing.txt"), str(tmp_path / "two" / "000_e5877635cf43af47.txt"),
            str(folder / "seeds" / "000_e5877635cf43af47.txt")]


@pytest.mark.parametrize("budget", [parallel.DEFERRED_TEXT_BUDGET, 0],
                         ids=["undated-kept", "undated-read-again"])
def test_workers_give_the_serial_table_skipped_files_and_dates(mixed, monkeypatch, budget):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 2)  # many chunks, in and out of order
    monkeypatch.setattr(parallel, "DEFERRED_TEXT_BUDGET", budget)
    expected_csv, expected_skipped, expected_articles = serial(mixed)
    result = parallel.extract(mixed, jobs=2)
    assert io.to_text(result.claims) == expected_csv
    assert result.skipped == expected_skipped
    assert result.articles == expected_articles
    # What the test is about is really there: broken files, a repeated doc, dated by the batch.
    assert any("binary.txt: binary file" in s for s in result.skipped)
    assert any("wire.jsonl:3: invalid JSON" in s for s in result.skipped)
    assert "000_e5877635cf43af47.txt#2" in set(result.claims["doc"])
    assert "wire-1#2" in set(result.claims["doc"])
    assert result.claims.loc[result.claims["doc"] == "undated.txt", "published_inferred"].all()


def test_the_cli_writes_the_same_bytes_with_one_or_two_jobs(mixed, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 3)
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert cli.main(["report", *mixed, "-o", str(out), "--no-charts", "--jobs", jobs,
                         "--keep-text", str(tmp_path / f"texts{jobs}")]) == 0
        outputs[jobs] = ({p.name: p.read_bytes() for p in sorted(out.iterdir())},
                         {p.relative_to(tmp_path / f"texts{jobs}"): p.read_bytes()
                          for p in sorted((tmp_path / f"texts{jobs}").rglob("*")) if p.is_file()},
                         capsys.readouterr().err.replace(f"out{jobs}", "out"))
    assert outputs["1"] == outputs["2"]
    report, texts, err = outputs["2"]
    assert "skipped " in err and b"binary.txt" in report["discrepancies.md"]
    # The two articles named 000_...txt keep their own texts under their own names.
    assert texts[Path("000_e5877635cf43af47.txt")] != texts[Path("000_e5877635cf43af47.txt#2.txt")]


def test_progress_counts_up_to_the_total(mixed, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK_FILES", 2)
    calls = []
    parallel.extract(mixed, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] > 0
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))


def test_jobs_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit):
        cli.main(["claims", str(SEEDS), "--jobs", "0"])
    assert "--jobs: must be at least 1, not 0" in capsys.readouterr().err


@pytest.mark.parametrize("first", ["2023", "2024"])
def test_an_undated_article_takes_the_year_the_serial_batch_gives_it(tmp_path, monkeypatch, first):
    """Two years with one article each, on the same day of the year: the tie goes to the
    later year, whichever is read first, in workers as in one process."""
    monkeypatch.setattr(parallel, "CHUNK_FILES", 1)
    paths = []
    for year in (first, "2024" if first == "2023" else "2023"):
        path = tmp_path / f"dated{year}.txt"
        path.write_text(f" date {year}-06-01 Officials said 20 people left.\n", encoding="utf-8")
        paths.append(str(path))
    undated = tmp_path / "undated.txt"
    undated.write_text("On June 1, officials said 30 people left.\n", encoding="utf-8")
    paths.append(str(undated))
    expected_csv, _skipped, _articles = serial(paths)
    result = parallel.extract(paths, jobs=2)
    assert io.to_text(result.claims) == expected_csv
    published = result.claims.loc[result.claims["doc"] == "undated.txt", "published"]
    assert published.dt.year.tolist() == [2024]


def test_a_large_jsonl_file_is_shared_by_the_workers_with_the_serial_result(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "JSONL_PART_BYTES", 400)
    lines = [json.dumps({"id": f"r{n % 7}", "text": f"Officials said {100 + n} people left.",
                         "published": f"2024-10-{1 + n % 28:02d}"}) for n in range(40)]
    lines[3] = "{broken json"
    lines[10] = ""
    lines[17] = json.dumps({"text": "On October 9, officials said 12 people left."})  # undated
    lines[25] = json.dumps({"text": "x" * 600})  # over --max-bytes
    path = tmp_path / "wire.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8") + b"\n")
    parts = sources.jsonl_parts(sources.ArticleFile(str(path), "wire.jsonl"), 400, 500)
    assert len(parts) > 5 and parts[0].start == 0 and parts[-1].end is None
    assert [p.start for p in parts[1:]] == [p.end for p in parts[:-1]]

    batch = sources.read_batch([str(path)], max_bytes=500)
    dates.fill_missing_dates(batch.articles)
    frame, failed = api._extract_each(claims.extract_articles,
                                      sorted(batch.articles, key=lambda a: a.doc), ())
    result = parallel.extract([str(path)], jobs=2, max_bytes=500)
    assert io.to_text(result.claims) == io.to_text(frame)
    assert result.skipped == [str(s) for s in batch.skipped] + failed
    assert any(":26: line longer than 500 bytes" in s for s in result.skipped)
    assert any(":4: invalid JSON" in s for s in result.skipped)
    assert "r0#2" in set(result.claims["doc"])


def test_a_jsonl_file_whose_beginning_is_not_articles_is_read_whole(tmp_path):
    table = tmp_path / "claims.jsonl"
    table.write_text("\n".join(json.dumps({"sentence": "s", "value": n}) for n in range(200)),
                     encoding="utf-8")
    file = sources.ArticleFile(str(table), "claims.jsonl")
    assert sources.jsonl_parts(file, 100) == [file]
    result = parallel.extract([str(table)], jobs=2)
    assert result.skipped == [str(s) for s in sources.read_batch([str(table)]).skipped]


def _dies_on_poison(task: str) -> str:
    """Run by a worker: a crash (as a segfault or the memory killer would) on one task."""
    if task == "poison":
        os._exit(1)
    return task.upper()


@pytest.mark.parametrize("tasks", [["a", "b", "poison", "c", "d", "e"], ["poison", "a", "b"]],
                         ids=["after-others", "first"])
def test_a_task_that_kills_its_worker_is_lost_alone_and_the_rest_go_on(tasks):
    """First or not: a task that kills every worker it is given to is not a worker that
    cannot start."""
    with parallel._Workers(2, (), wanted=len(tasks)) as workers:
        done = list(workers.run(_dies_on_poison, iter(tasks), lambda task, why: f"lost {task}"))
    assert done == [f"lost {task}" if task == "poison" else task.upper() for task in tasks]


def test_a_script_whose_workers_cannot_start_is_told_why(tmp_path):
    """A script that runs figcheck with jobs=2 at its top level, without the
    ``__main__`` guard: each worker imports it and stops. The caller gets one error that
    says so, not every article skipped as if each had crashed its worker."""
    import subprocess
    import sys

    for name in ("a", "b"):  # two JSONL files: two chunks, so the workers are used
        (tmp_path / f"{name}.jsonl").write_text(
            json.dumps({"id": name, "text": "Officials said 300 people left.",
                        "published": "2024-10-05"}) + "\n", encoding="utf-8")
    script = tmp_path / "unguarded.py"
    script.write_text("from figcheck import parallel\n"
                      f"parallel.extract([{str(tmp_path)!r}], jobs=2)\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.returncode != 0
    # The error's own line (multiprocessing's resource tracker may warn after it).
    told = [line for line in run.stderr.splitlines() if "WorkersCannotStart:" in line]
    assert told and 'if __name__ == "__main__":' in told[-1], run.stderr


@pytest.mark.parametrize("chunk_files", [2, 100], ids=["many-chunks", "one-chunk"])
def test_quantity_keys_derived_by_the_workers_are_those_of_the_whole_table(
        mixed, monkeypatch, chunk_files):
    """Keys depend on an article's own claims (its main entity, "in article DOC"): derived
    chunk by chunk, and article by article where a chunk holds two articles of one doc
    (same.txt, in the first chunk), they are the keys of the serial table."""
    from figcheck.config import Config, Split
    from figcheck.quantities import assign

    monkeypatch.setattr(parallel, "CHUNK_FILES", chunk_files)
    # Two more articles of one doc, same.txt: the first states a figure of no entity, the
    # second gives the doc a main entity, which the first must not take.
    one, two = Path(mixed[0]).parent / "same.txt", Path(mixed[3]).parent / "same.txt"
    one.write_text(" date 2024-10-22\n\nOfficials said 300 people were evacuated.\n",
                   encoding="utf-8")
    two.write_text(" date 2024-10-22\n\nRussian officials said 40 Russian soldiers were killed "
                   "and 50 Russian soldiers were wounded.\n", encoding="utf-8")
    mixed = [str(one), str(two), *mixed]  # in one chunk
    settings = Config(names=(("north korean killed", "people killed"),),
                      splits=(Split("north korean soldiers", "Budanov", "dprk soldiers"),))
    batch = sources.read_batch(mixed)
    dates.fill_missing_dates(batch.articles)
    articles = sorted(batch.articles, key=lambda a: a.doc)
    frame, _ = api._extract_each(claims.extract_articles, articles, ())
    expected = io.to_text(assign(frame, config=settings))
    result = parallel.extract(mixed, jobs=2, quantities=settings)
    assert io.to_text(result.claims) == expected
    keys = set(result.claims["quantity"])
    assert {"people killed", "dprk soldiers", "north korean soldiers",
            "people, in article same.txt", "russian killed"} <= keys
