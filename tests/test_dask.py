"""The Dask engine on a local cluster of two worker processes gives the claims and
discrepancies of the single-process path (the 10,000-article comparison is
``bench/bench_scale.py --dask``)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import figcheck  # noqa: E402
import figcheck.dask  # noqa: E402
from figcheck import cli, io, parallel, schema  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def batch(tmp_path, monkeypatch) -> list[str]:
    """Seeds (two undated, dated by the batch), a JSONL file with a repeated id and a bad
    line, a binary file; cut into chunks of two files, so that the workers share them."""
    monkeypatch.setattr(parallel, "CHUNK_FILES", 2)
    folder = tmp_path / "batch"
    shutil.copytree(SEEDS, folder / "seeds")
    records = [{"id": "w", "text": "Police said 300 people were evacuated.", "published": "2024-10-20"},
               {"id": "w", "text": "Officials said about 450 people were evacuated.",
                "published": "2024-10-21"}]
    (folder / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in records)
                                       + "\n{broken\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    return [str(folder)]


def test_the_dask_frame_holds_the_claims_of_the_pandas_path(batch, client):
    expected = figcheck.extract(batch)
    frame = figcheck.dask.extract(batch, client=client)
    assert [str(t) for t in frame.dtypes] == [c.dtype for c in schema.CLAIMS]
    assert frame.npartitions > 1
    claims = figcheck.dask.to_pandas(frame)
    assert io.to_text(claims) == io.to_text(expected)
    assert io.to_text(figcheck.discrepancies(claims)) == io.to_text(figcheck.discrepancies(expected))
    assert "w#2" in set(claims["doc"]) and len(figcheck.discrepancies(claims))


def test_report_on_dask_writes_the_same_report_and_a_parquet_dataset(batch, client, tmp_path, capsys):
    address = client.scheduler.address
    single, on_dask = tmp_path / "single", tmp_path / "dask"
    assert cli.main(["report", *batch, "-o", str(single), "--no-charts", "--jobs", "1"]) == 0
    assert cli.main(["report", *batch, "-o", str(on_dask), "--no-charts", "--engine", "dask",
                     "--scheduler", address]) == 0
    for name in ("claims.csv", "discrepancies.csv", "discrepancies.md"):
        assert (single / name).read_bytes() == (on_dask / name).read_bytes(), name
    assert len(list((on_dask / "claims.parquet").glob("*.parquet"))) > 1
    dataset = figcheck.dask.read_parquet(on_dask / "claims.parquet")
    assert len(dataset) == len(io.read_table(single / "claims.csv"))
    err = capsys.readouterr().err.splitlines()
    skipped = [line for line in err if line.startswith("figcheck: skipped ")]
    # binary.txt and wire.jsonl:3, in the same words by each engine.
    assert len(skipped) == 4 and skipped[:2] == skipped[2:]
    assert err[2].replace(str(single), "") == err[-1].replace(str(on_dask), "")


def test_a_huge_page_is_skipped_on_a_dask_worker_too(tmp_path, client):
    pytest.importorskip("trafilatura")
    # A Dask worker is a daemonic process (no multiprocessing children), and reads in a
    # thread of its own (no in-process limit): the page's child process bounds it still.
    daemonic = client.run(lambda: __import__("multiprocessing").current_process().daemon)
    assert set(daemonic.values()) == {True}
    huge = "<html><body><article>" + "".join(
        f"<p>Officials said about {i:,} troops had arrived, the ministry said on day {i}.</p>\n"
        for i in range(60_000)) + "</article></body></html>"
    (tmp_path / "huge.html").write_text(huge, encoding="utf-8")
    (tmp_path / "plain.txt").write_text(" date 2024-10-22 Officials said 5 buses left.\n",
                                        encoding="utf-8")
    done = figcheck.dask.extract_batch([str(tmp_path)], client=client)
    assert done.skipped == [
        f"{tmp_path / 'huge.html'}: too slow to read: taking the text from the page took more "
        f"than 3 s ({len(huge):,} characters)"]
    assert set(figcheck.dask.to_pandas(done.claims)["doc"]) == {"plain.txt"}
