"""Invariants of the claims table on the seed articles, and the engine modules' doctests.

- every row's offsets point at its text in the article file: ``article[start:end] == text``;
- ``claim_id`` is unique, and the same across runs (also in a fresh interpreter with another
  hash seed, as on another machine);
- the CSV that ``figcheck.io.write_table`` writes is byte-for-byte the same across runs and
  whatever the order the input files are given in.
"""
from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import figcheck
import figcheck.dates
import figcheck.numbers
from figcheck import io, sources

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"
SEED_FILES = sorted(str(p) for p in SEEDS.iterdir() if p.is_file())


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    frame = figcheck.extract(str(SEEDS))
    assert frame.attrs.get("skipped") == []
    assert len(frame) > 0, "the seed articles hold claims"
    return frame


def _csv_bytes(frame: pd.DataFrame, folder: Path, name: str) -> bytes:
    path = folder / name
    io.write_table(frame, path)
    return path.read_bytes()


def test_seed_folder_is_present():
    assert len(SEED_FILES) >= 5, SEED_FILES


def test_offsets_point_at_the_text_in_the_article_file(claims):
    files = {Path(f).name: Path(f).read_bytes().decode("utf-8") for f in SEED_FILES}
    bad = []
    for row in claims.itertuples():
        article = files[Path(row.doc).name]
        if article[row.start:row.end] != row.text:
            bad.append(f"{row.doc}[{row.start}:{row.end}] = {article[row.start:row.end]!r}, text = {row.text!r}")
    assert not bad, "\n".join(bad)


def test_offsets_point_at_the_text_of_the_read_article(claims):
    articles = {a.doc: a for a in sources.read_batch([str(SEEDS)]).articles}
    for row in claims.itertuples():
        assert articles[row.doc].text[row.start:row.end] == row.text


def test_the_sentence_holds_the_text(claims):
    for row in claims.itertuples():
        assert " ".join(row.text.split()) in row.sentence, (row.text, row.sentence)


def test_bounds_are_ordered(claims):
    for row in claims.itertuples():
        if pd.notna(row.value) and pd.notna(row.low):
            assert row.low <= row.value, row
        if pd.notna(row.value) and pd.notna(row.high):
            assert row.value <= row.high, row


def test_claim_ids_are_unique_and_stable(claims):
    ids = claims["claim_id"].tolist()
    assert len(ids) == len(set(ids))
    again = figcheck.extract(str(SEEDS))
    assert again["claim_id"].tolist() == ids


def test_csv_is_the_same_bytes_across_runs(claims, tmp_path):
    reference = _csv_bytes(claims, tmp_path, "folder.csv")
    assert reference == _csv_bytes(figcheck.extract(str(SEEDS)), tmp_path, "again.csv")
    assert reference == _csv_bytes(figcheck.extract(SEED_FILES), tmp_path, "files.csv")


@pytest.mark.parametrize("order", ["reversed", "interleaved"])
def test_csv_is_the_same_bytes_whatever_the_input_order(claims, tmp_path, order):
    reference = _csv_bytes(claims, tmp_path, "folder.csv")
    files = SEED_FILES[::-1] if order == "reversed" else SEED_FILES[1::2] + SEED_FILES[0::2]
    assert reference == _csv_bytes(figcheck.extract(files), tmp_path, f"{order}.csv")


def test_csv_is_the_same_bytes_in_a_fresh_interpreter(claims, tmp_path):
    """Another process with another hash seed stands in for another run on another machine."""
    reference = _csv_bytes(claims, tmp_path, "here.csv")
    out = tmp_path / "there.csv"
    code = ("import sys, figcheck; from figcheck import io; "
            "io.write_table(figcheck.extract(sys.argv[1]), sys.argv[2])")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(SEEDS), str(out)], check=True, cwd=REPOSITORY,
                   env=env, timeout=120)
    assert out.read_bytes() == reference


@pytest.mark.parametrize("module", [
    figcheck.numbers,
    figcheck.dates,
    figcheck.rules,
], ids=lambda m: m.__name__)
def test_doctests(module):
    # testmod on the imported module: run by path, a file named numbers.py would shadow
    # the standard library's numbers module.
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no doctests"
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctests failed in {module.__name__}"
