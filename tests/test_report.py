"""The report: what ``figcheck report`` writes, that it is the same bytes every time, that
article text cannot break it, and the README's exploration session (run as a doctest)."""
from __future__ import annotations

import doctest
import importlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import figcheck
from figcheck import cli, io, report, schema
from figcheck.config import Config, Tolerances

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert cli.main(["report", str(SEEDS), "-o", str(out), "--no-charts"]) == 0
    return out


def test_report_writes_the_three_files(seed_report):
    assert {p.name for p in seed_report.iterdir() if p.is_file()} == {
        "discrepancies.md", "claims.csv", "discrepancies.csv"}
    claims = io.read_table(seed_report / "claims.csv")
    assert claims["quantity"].notna().all() and claims["quantity_reason"].notna().all()
    found = io.read_table(seed_report / "discrepancies.csv", schema.DISCREPANCIES)
    assert len(found) > 0
    assert set(found["claim_a"]) | set(found["claim_b"]) <= set(claims["claim_id"])
    assert set(found["kind"]) <= {"between_sources", "over_time", "within_source"}


def test_report_says_what_was_read_and_shows_the_contested_quantity_first(seed_report):
    text = (seed_report / "discrepancies.md").read_text(encoding="utf-8")
    claims = io.read_table(seed_report / "claims.csv")
    assert f"{claims['doc'].nunique()} articles, {len(claims)} claims" in text
    assert "± 0.5 %" in text and "the defaults" in text
    summary = figcheck.quantities(claims)
    contested = summary.loc[0, "quantity"]
    assert summary.loc[0, "discrepancies"] > 0
    assert text.index(f"## {report.escape(contested)}") < text.index("## Stated once")
    for row in claims.itertuples():  # every claim's words appear, escaped
        assert report.escape(row.text) in text


def test_report_is_the_same_bytes_whatever_the_order_of_the_files(tmp_path):
    files = sorted(str(p) for p in SEEDS.iterdir())
    outputs = []
    for k, order in enumerate([files, files[::-1], [str(SEEDS)]]):
        out = tmp_path / f"run{k}"
        assert cli.main(["report", *order, "-o", str(out), "--no-charts"]) == 0
        outputs.append({name: (out / name).read_bytes()
                        for name in ("discrepancies.md", "claims.csv", "discrepancies.csv")})
    assert outputs[0] == outputs[1] == outputs[2]


def test_report_default_folder_is_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", str(SEEDS), "--no-charts"]) == 0
    assert (tmp_path / "reports" / "discrepancies.md").is_file()


def test_skipped_files_are_listed_with_the_reason(tmp_path, capsys):
    folder = tmp_path / "batch"
    shutil.copytree(SEEDS, folder)
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02 binary")
    out = tmp_path / "out"
    assert cli.main(["report", str(folder), "-o", str(out), "--no-charts"]) == 0
    text = (out / "discrepancies.md").read_text(encoding="utf-8")
    assert "1 file skipped" in text and "broken.txt" in text
    assert "skipped" in capsys.readouterr().err


def test_report_exits_2_when_nothing_can_be_read(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    assert cli.main(["report", str(tmp_path / "empty.txt"), "-o", str(tmp_path / "out")]) == 2


def test_a_bad_settings_file_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "figcheck.toml"
    bad.write_text("[tolerances]\nabout = 7\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        cli.main(["report", str(SEEDS), "--config", str(bad), "-o", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert "tolerances.about" in capsys.readouterr().err


HOSTILE = "a | pipe <script>alert('x')</script> `tick` [link](http://x) *bold* _it_\nnew line"


def _table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def test_article_text_cannot_break_the_markdown():
    claims = figcheck.extract_text("Zelensky said 10,000 North Korean soldiers were in Russia. "
                                   "Budanov said about 12,000 North Korean soldiers were in Russia.",
                                   "2024-10-22")
    assert len(claims) == 2
    for column in ("text", "source", "doc", "attributed_to", "quantity_reason"):
        claims[column] = claims[column] + " " + HOSTILE  # what a hostile article could put there
    claims.attrs["skipped"] = [f"bad|file.txt: {HOSTILE}"]
    text = figcheck.render_report(claims)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "new line" in text and "\nnew line" not in text
    for block in text.split("\n\n"):
        rows = _table_rows(block)
        if rows:  # every row of a table has as many cells as its header
            widths = {row.replace("\\|", "").count("|") for row in rows}
            assert len(widths) == 1, rows
    assert text.count("```") == 0


def test_escape_keeps_text_on_one_line_and_markup_inert():
    escaped = report.escape("a|b\n`c` <i>d</i> [e](f) *g*")
    assert "\n" not in escaped and "<" not in escaped
    assert all(f"\\{c}" in escaped for c in "|`[]*")


def test_charts_note_when_matplotlib_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "charts_available", lambda: False)
    written = figcheck.write_report(figcheck.extract(str(SEEDS)), str(tmp_path))
    assert "matplotlib" in written["charts_note"]
    assert "matplotlib is not installed" in (tmp_path / "discrepancies.md").read_text(encoding="utf-8")
    assert not (tmp_path / "charts").exists()


def test_charts_are_drawn_and_linked_when_matplotlib_is_there(tmp_path):
    pytest.importorskip("matplotlib")
    claims = figcheck.extract(str(SEEDS))
    written = figcheck.write_report(claims, str(tmp_path / "one"))
    again = figcheck.write_report(claims, str(tmp_path / "two"))
    charts = sorted((tmp_path / "one" / "charts").glob("*.png"))
    assert charts, written
    text = (tmp_path / "one" / "discrepancies.md").read_text(encoding="utf-8")
    assert all(f"charts/{c.name}" in text for c in charts)
    assert all(c.read_bytes() == (tmp_path / "two" / "charts" / c.name).read_bytes() for c in charts)
    assert again.keys() == written.keys()


def _failing_render(*args, **kwargs):
    raise RuntimeError("rendering failed")


def test_a_report_that_fails_leaves_the_previous_files_and_no_temporary_one(tmp_path, monkeypatch):
    """The claims table is written while the report is made; when making it fails, the
    folder keeps the previous run's files, and no half-written or temporary file."""
    claims = figcheck.extract(str(SEEDS))
    figcheck.write_report(claims, str(tmp_path), config=Config(charts=False))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    monkeypatch.setattr(report, "render", _failing_render)
    with pytest.raises(RuntimeError, match="rendering failed"):
        figcheck.write_report(claims.head(3), str(tmp_path), config=Config(charts=False))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_report_that_fails_at_its_last_file_puts_none_of_its_files_in_place(tmp_path, monkeypatch):
    """claims.csv of a new run beside discrepancies of an old one would contradict each
    other: the files are all put in place once all are made, or none is."""
    claims = figcheck.extract(str(SEEDS))
    figcheck.write_report(claims, str(tmp_path), config=Config(charts=False))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    made = io.StagedFile

    def full_disk(path, pieces):
        if Path(path).name == "discrepancies.md":
            raise OSError(28, "No space left on device")
        return made(path, pieces)

    monkeypatch.setattr(io, "StagedFile", full_disk)
    with pytest.raises(OSError, match="No space left"):
        figcheck.write_report(claims.head(3), str(tmp_path), config=Config(charts=False))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_report_that_fails_leaves_no_folder_it_made(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "render", _failing_render)
    with pytest.raises(RuntimeError, match="rendering failed"):
        figcheck.write_report(figcheck.extract(str(SEEDS)), str(tmp_path / "new" / "report"))
    assert list(tmp_path.iterdir()) == []


def test_a_report_that_fails_keeps_a_folder_that_was_there(tmp_path, monkeypatch):
    kept = tmp_path / "reports"
    kept.mkdir()

    monkeypatch.setattr(report, "render", _failing_render)
    with pytest.raises(RuntimeError, match="rendering failed"):
        figcheck.write_report(figcheck.extract(str(SEEDS)), str(kept))
    assert kept.is_dir() and list(kept.iterdir()) == []


def test_report_states_the_tolerances_it_used():
    claims = figcheck.extract(str(SEEDS))
    text = figcheck.render_report(claims, config=Config(tolerances=Tolerances(about=0.1)))
    assert "about ± 10 %" in text and "from the settings" in text


def test_charts_off_in_the_settings(tmp_path):
    written = figcheck.write_report(figcheck.extract(str(SEEDS)), str(tmp_path), config=Config(charts=False))
    assert "off" in written["charts_note"]


def test_accessor_only_delegates():
    claims = figcheck.extract(str(SEEDS))
    pd.testing.assert_frame_equal(claims.figcheck.discrepancies(), figcheck.discrepancies(claims))
    pd.testing.assert_frame_equal(claims.figcheck.quantities(), figcheck.quantities(claims))
    assert claims.figcheck.report() == figcheck.render_report(claims)
    key = figcheck.quantities(claims).loc[0, "quantity"]
    line = claims.figcheck.timeline(key)
    assert len(line) == (claims["quantity"] == key).sum()
    assert line["as_of"].is_monotonic_increasing


def test_module_doctests():
    for name in ("figcheck.report", "figcheck.accessor", "figcheck.config"):
        assert doctest.testmod(importlib.import_module(name)).failed == 0, name


def test_readme_exploration_session(monkeypatch):
    """The README's Python session runs as written, from the repository's folder."""
    monkeypatch.chdir(REPOSITORY)
    result = doctest.testfile(str(REPOSITORY / "README.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 5 and result.failed == 0


def test_readme_documents_the_report_command():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    for option in ("figcheck report", "-o", "--config", "--no-charts", "figcheck.toml", "[tool.figcheck]"):
        assert option in readme, option
    assert os.path.basename(__file__)  # (the README's commands run in test_cli and above)


def test_a_quantity_says_why_its_figures_go_together_counting_every_row():
    """Each row counts for its reason, copies included and rows without a reason left
    out; the three most common are named, most first (then by name), the rest counted."""
    import datetime as dt

    reasons = ["same noun"] * 3 + ["same entity"] * 3 + ["alias"] * 2 + ["one more", "last", None]
    records = [{"claim_id": f"c{i}", "doc": f"d{i}.txt", "text": f"{1000 + (i % 2) * 500} troops",
                "sentence": f"Officials said {1000 + (i % 2) * 500} troops arrived.",
                "value": float(1000 + (i % 2) * 500), "qualifier": "exact", "unit": "troops",
                "published": dt.date(2024, 10, 1 + i), "quantity": "troops",
                "quantity_reason": reason, "source": "Outlet"}
               for i, reason in enumerate(reasons)]
    text = figcheck.render_report(schema.from_records(records))
    assert ("Why these figures go together: same entity (3 claims); or same noun (3 claims); "
            "or alias (2 claims); and 2 other reasons.") in text
