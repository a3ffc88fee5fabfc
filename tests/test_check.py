"""``figcheck check`` and ``figcheck baseline``: a repository of articles in CI, end to end,
then the baseline file, the keys, the formats and the exit codes one by one.

Every article here is written for these tests (a quake, a ferry, a storm).
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from figcheck import check, cli, formats
from figcheck.check import Baseline, Claim, Entry, Finding

QUAKE = (" date 2023-02-10\nsource: Harbor Times\n\nRescue teams kept digging through the night.\n\n"
         "The national disaster agency said 2,400 people were killed in Turkey by the earthquake.\n")
FERRY = (" date 2023-05-02\nsource: Coastal Ledger\n\n"
         "The Libyan coast guard said 310 migrants were rescued from a sinking boat.\n")
# Agrees with the quake's 2,400: a range around it.
RELIEF = (" date 2023-02-12\nsource: Morning Courier\n\n"
          "A relief coordinator said between 2,000 and 3,000 people were killed in Turkey.\n")
# Contradicts the quake's 2,400 (and agrees with the range): one discrepancy.
TOLL = (" date 2023-02-14\nsource: Evening Post\n\nDoctors worked without rest.\n\n"
        "A hospital union said 2,900 people were killed in Turkey.\n")
TOLL_LINE, TOLL_COLUMN = 6, TOLL.splitlines()[5].index("2,900") + 1


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=figcheck tests", "-c", "user.email=tests@example.org",
                    "-c", "commit.gpgsign=false", *args],
                   cwd=repo, check=True, capture_output=True)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- end to end: a repository in CI ------------------------------------------------------------

def test_a_repository_of_articles_in_ci(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "newsroom"
    repo.mkdir()
    git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    write(repo / "articles" / "2023-02" / "quake.txt", QUAKE)
    write(repo / "articles" / "2023-05" / "ferry.txt", FERRY)

    # The newsroom starts: nothing to acknowledge, the baseline is committed.
    code, _out, err = run(capsys, "baseline", "articles")
    assert code == 0
    assert "figcheck-baseline.json: 0 discrepancies acknowledged" in err
    assert json.loads((repo / "figcheck-baseline.json").read_text())["discrepancies"] == []
    assert (repo / ".figcheck" / "cache.sqlite").is_file()
    git(repo, "add", "articles", "figcheck-baseline.json")
    git(repo, "commit", "-q", "-m", "first articles")
    git(repo, "status", "--porcelain")

    # A batch that agrees with what is there.
    write(repo / "articles" / "2023-02" / "relief.txt", RELIEF)
    git(repo, "add", "articles")
    git(repo, "commit", "-q", "-m", "batch 1")
    code, out, err = run(capsys, "check", "articles")
    assert code == 0
    assert out == ("figcheck: 0 new discrepancies; 0 suppressed by figcheck-baseline.json; "
                   "0 stale baseline entries (3 articles, 3 claims)\n")
    assert "1 article extracted, 2 from the cache" in err

    # A batch that contradicts an earlier figure: the annotation is at the new file's line.
    toll = write(repo / "articles" / "2023-02" / "toll.txt", TOLL)
    git(repo, "add", "articles")
    git(repo, "commit", "-q", "-m", "batch 2")
    code, out, _err = run(capsys, "check", "articles", "--format", "github")
    assert code == 1
    annotation, summary = out.splitlines()
    assert annotation.startswith(f"::error file=articles/2023-02/toll.txt,line={TOLL_LINE},"
                                 f"col={TOLL_COLUMN},")
    assert "::New discrepancy: turkish killed: \"2,900 people\" (hospital union, 2023-02-14) " \
           "against \"2,400 people\" (national disaster agency, 2023-02-10, " \
           "articles/2023-02/quake.txt:6:" in annotation
    assert summary.startswith("figcheck: 1 new discrepancy; 0 suppressed")
    assert toll.read_text().splitlines()[TOLL_LINE - 1][TOLL_COLUMN - 1:].startswith("2,900 people")

    # Acknowledged with a reason: the check passes again, one suppressed.
    code, _out, err = run(capsys, "baseline", "articles", "--reason", "the union counts the missing")
    assert code == 0
    assert "1 discrepancy acknowledged (1 added, 0 kept" in err
    entry, = json.loads((repo / "figcheck-baseline.json").read_text())["discrepancies"]
    assert entry["reason"] == "the union counts the missing"
    assert {c["doc"] for c in entry["claims"]} == {"2023-02/quake.txt", "2023-02/toll.txt"}
    git(repo, "add", "figcheck-baseline.json")
    git(repo, "commit", "-q", "-m", "acknowledge the union's toll")
    code, out, _err = run(capsys, "check", "articles")
    assert code == 0
    assert out.startswith("figcheck: 0 new discrepancies; 1 suppressed by figcheck-baseline.json; "
                          "0 stale baseline entries")

    # Unrelated edits move the claims to other lines: the entry still matches.
    write(toll, TOLL.replace("Doctors worked without rest.", "Doctors worked without rest.\n\n"
                             "Nurses came from three cities."))
    write(repo / "articles" / "2023-02" / "quake.txt",
          QUAKE.replace("Rescue teams", "Cranes arrived on Sunday.\n\nRescue teams"))
    code, out, _err = run(capsys, "check", "articles")
    assert (code, out.count("1 suppressed")) == (0, 1)

    # The contradicting article is withdrawn: its entry is stale, and pruned on request.
    toll.unlink()
    code, out, err = run(capsys, "check", "articles", "--update-baseline")
    assert code == 0
    assert out.splitlines()[0].startswith("figcheck-baseline.json:6: stale baseline entry: "
                                          "turkish killed:")
    assert "1 stale entry pruned from figcheck-baseline.json" in err
    assert json.loads((repo / "figcheck-baseline.json").read_text())["discrepancies"] == []


# --- the check in its other forms ------------------------------------------------------------

@pytest.fixture
def contradicted(tmp_path, monkeypatch) -> Path:
    """A folder with one discrepancy, as the current folder; no cache unless asked."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    write(tmp_path / "articles" / "quake.txt", QUAKE)
    write(tmp_path / "articles" / "toll.txt", TOLL)
    return tmp_path


def test_exit_zero_reports_without_failing(contradicted, capsys):
    code, out, _err = run(capsys, "check", "articles", "--no-cache", "--exit-zero", "--format", "github")
    assert code == 0
    assert out.startswith("::warning file=articles/toll.txt,line=6,")
    assert not (contradicted / ".figcheck").exists()


def test_text_format_is_one_line_per_new_discrepancy(contradicted, capsys):
    code, out, _err = run(capsys, "check", "articles", "--no-cache")
    assert code == 1
    line, summary = out.splitlines()
    assert line.startswith(f"articles/toll.txt:{TOLL_LINE}:{TOLL_COLUMN}: new discrepancy: turkish killed: ")
    assert line.endswith("gap 21%, between sources [" + _only_key(contradicted) + "]")


def _only_key(folder: Path) -> str:
    frame = __import__("figcheck").extract(str(folder / "articles"))
    finding, = check.findings(frame, __import__("figcheck").discrepancies(frame))
    return finding.key


def test_json_format(contradicted, capsys):
    code, out, _err = run(capsys, "check", "articles", "--no-cache", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["summary"] == {"new": 1, "suppressed": 0, "stale": 0, "articles": 2,
                                   "claims": 2, "baseline": "figcheck-baseline.json", "failed": True}
    new, = document["new"]
    assert new["newer"]["path"] == "articles/toll.txt"
    assert (new["newer"]["line"], new["newer"]["column"]) == (TOLL_LINE, TOLL_COLUMN)
    assert new["older"]["text"] == "2,400 people"


def test_sarif_has_stable_fingerprints(contradicted, capsys, tmp_path):
    out_file = contradicted / "figcheck.sarif"
    code, out, err = run(capsys, "check", "articles", "--no-cache", "--format", "sarif", "-o", str(out_file))
    assert (code, out) == (1, "")
    assert f"report written to {out_file}" in err
    document = json.loads(out_file.read_text())
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    result, = document["runs"][0]["results"]
    assert result["ruleId"] == "between_sources"
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "articles/toll.txt"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == TOLL_LINE
    key = result["partialFingerprints"][formats.FINGERPRINT]
    # An unrelated edit moves the claim: same fingerprint.
    write(contradicted / "articles" / "toll.txt",
          TOLL.replace("Doctors worked", "Ambulances queued.\n\nDoctors worked"))
    assert cli.main(["check", "articles", "--no-cache", "--format", "sarif", "-o", str(out_file)]) == 1
    moved, = json.loads(out_file.read_text())["runs"][0]["results"]
    assert moved["partialFingerprints"][formats.FINGERPRINT] == key
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == TOLL_LINE + 2
    # Acknowledged: still there, as a suppressed result.
    assert cli.main(["baseline", "articles", "--no-cache", "--reason", "checked"]) == 0
    assert cli.main(["check", "articles", "--no-cache", "--format", "sarif", "-o", str(out_file)]) == 0
    suppressed, = json.loads(out_file.read_text())["runs"][0]["results"]
    assert suppressed["suppressions"] == [{"kind": "external", "status": "accepted", "justification": "checked"}]
    assert suppressed["baselineState"] == "unchanged"


def test_github_step_summary_is_appended(contradicted, capsys, monkeypatch):
    summary = contradicted / "summary.md"
    summary.write_text("# an earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert cli.main(["check", "articles", "--no-cache", "--format", "github"]) == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# an earlier step\n## figcheck\n\n**1 new discrepancy**")
    assert "| `articles/toll.txt:6:" in text


def test_the_step_summary_is_cut_to_its_limit():
    findings = [_finding(f"doc{number:04d}.txt", 1000 + number) for number in range(500)]
    outcome = check.compare(findings, Baseline(path="figcheck-baseline.json"))
    whole = formats.markdown(outcome)
    assert whole.count("\n| `doc") == 500
    cut = formats.markdown(outcome, limit=20_000)
    assert len(cut.encode("utf-8")) <= 20_000
    shown = cut.count("\n| `doc")
    assert 0 < shown < 500
    assert cut.rstrip().endswith(f"_{500 - shown:,} more rows are not shown: a step summary "
                                 "holds at most 20,000 bytes. The job's log lists them all._")


def test_github_commands_escape_what_would_end_them():
    finding = _finding("a,b:c.txt", 5, text="50% of\n100")
    out = formats.github(check.compare([finding], Baseline()))
    command = out.splitlines()[0]
    assert command.startswith("::error file=a%2Cb%3Ac.txt,")
    assert "50%25 of 100" in command
    assert "\n" not in command


# --- exit code 2 -----------------------------------------------------------------------------

def test_a_bad_baseline_is_exit_2_before_any_reading(contradicted, capsys):
    write(contradicted / "figcheck-baseline.json", '{"figcheck": "baseline", "version": 1, "discrepancies": [}')
    code, out, err = run(capsys, "check", "articles", "--no-cache")
    assert (code, out) == (2, "")
    assert err == "figcheck: figcheck-baseline.json:1:58: not JSON: Expecting value\n"


def test_a_missing_baseline_named_on_the_command_line_is_exit_2(contradicted, capsys):
    code, _out, err = run(capsys, "check", "articles", "--no-cache", "--baseline", "nowhere.json")
    assert code == 2
    assert "nowhere.json: no such baseline file (make one with figcheck baseline)" in err


def test_no_readable_article_is_exit_2(contradicted, capsys):
    code, _out, err = run(capsys, "check", "nowhere", "--no-cache")
    assert code == 2
    assert "no article could be read from nowhere" in err


def test_bad_settings_are_exit_2(contradicted, capsys):
    write(contradicted / "figcheck.toml", "[tolerances]\nexcat = 0.1\n")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", "articles", "--no-cache"])
    assert exit_.value.code == 2


def test_an_output_that_cannot_be_written_is_exit_2(contradicted, capsys):
    write(contradicted / "file", "")
    code, _out, err = run(capsys, "check", "articles", "--no-cache", "-o", "file/out.txt")
    assert code == 2
    assert "cannot write" in err


# --- the baseline file -------------------------------------------------------------------------

def _finding(doc: str, value: int, *, text: str | None = None, quantity: str = "turkish killed") -> Finding:
    older = Claim(doc="quake.txt", text="2,400 people", value=2400, attributed_to="agency",
                  source="Harbor Times", as_of="2023-02-10", path="quake.txt", line=6, column=35)
    newer = Claim(doc=doc, text=text or f"{value:,} people", value=value, attributed_to=None,
                  source="Evening Post", as_of="2023-02-14", path=doc, line=3, column=1)
    return Finding(quantity=quantity, kind="between_sources", gap=0.2, hedged=False,
                   older=older, newer=newer)


def test_keys_are_made_of_content_only():
    a = _finding("toll.txt", 2900)
    moved = Finding(**{**a.__dict__, "newer": Claim(**{**a.newer.__dict__, "line": 40, "column": 2,
                                                       "start": 999, "claim_id": "other"})})
    swapped = Finding(**{**a.__dict__, "older": a.newer, "newer": a.older})
    respaced = Finding(**{**a.__dict__, "newer": Claim(**{**a.newer.__dict__, "text": "2,900\n people"})})
    assert a.key == moved.key == swapped.key == respaced.key
    assert a.key != _finding("toll.txt", 2950).key
    assert a.key != _finding("other.txt", 2900).key
    assert a.key != _finding("toll.txt", 2900, quantity="turkish wounded").key


def test_a_baseline_reads_back_as_written(tmp_path):
    found = [_finding("b.txt", 2900), _finding("a.txt", 3100)]
    baseline = check.make_baseline(found, reason="seen")
    path = tmp_path / "baseline.json"
    check.write_baseline(baseline, path)
    again = check.read_baseline(path)
    assert {e.key: e.reason for e in again.entries} == {f.key: "seen" for f in found}
    assert check.baseline_bytes(again) == path.read_bytes()
    # Same findings in another order: same bytes.
    assert check.baseline_bytes(check.make_baseline(found[::-1], reason="seen")) == path.read_bytes()
    assert [e.line for e in again.entries] == [6, 27]


def test_making_a_baseline_keeps_reasons_and_drops_what_is_gone():
    kept, gone, new = _finding("a.txt", 2900), _finding("b.txt", 3100), _finding("c.txt", 3300)
    previous = Baseline(entries=(Entry.of(kept, "known"), Entry.of(gone, "old")))
    baseline = check.make_baseline([kept, new], previous, reason="fresh")
    assert {e.key: e.reason for e in baseline.entries} == {kept.key: "known", new.key: "fresh"}


def test_compare_splits_new_suppressed_and_stale():
    kept, gone, new = _finding("a.txt", 2900), _finding("b.txt", 3100), _finding("c.txt", 3300)
    baseline = Baseline(entries=(Entry.of(kept, "known"), Entry.of(gone)), path="b.json")
    outcome = check.compare([new, kept], baseline)
    assert [f.key for f in outcome.new] == [new.key]
    assert [(f.key, f.reason) for f in outcome.suppressed] == [(kept.key, "known")]
    assert [e.key for e in outcome.stale] == [gone.key]
    assert outcome.failed
    assert [e.key for e in check.prune(baseline, outcome.stale).entries] == [kept.key]


@pytest.mark.parametrize("content, message", [
    ("[]", 'not a figcheck baseline (expected an object with "figcheck": "baseline")'),
    ('{"figcheck": "baseline", "version": 2, "discrepancies": []}', "baseline version 2 is not 1"),
    ('{"figcheck": "baseline", "version": 1, "discrepancies": {}}', '"discrepancies" must be a list'),
    ('{"figcheck": "baseline", "version": 1, "discrepancies": [], "extra": 1}', "unknown key 'extra'"),
    ('{"figcheck": "baseline", "version": 1, "discrepancies": [{"quantity": "q", "claims": []}]}',
     'discrepancy 1: "claims" must be a list of two claims'),
    ('{"figcheck": "baseline", "version": 1, "discrepancies": [{"quantity": "q", "claims": '
     '[{"doc": "a", "text": "1 x", "value": "one"}, {"doc": "b", "text": "2 x"}]}]}',
     "discrepancy 1, claim 1: 'value' must be a number or null"),
    ('{"figcheck": "baseline", "version": 1, "discrepancies": [{"quantity": "q", "reasons": "x", '
     '"claims": []}]}', "discrepancy 1: unknown key 'reasons'"),
    ('{"figcheck": "baseline", "version": 1, "discrepancies": [{"id": "0000", "quantity": "q", '
     '"claims": [{"doc": "a", "text": "1 x"}, {"doc": "b", "text": "2 x"}]}]}',
     'discrepancy 1: "id" \'0000\' does not match its claims'),
])
def test_a_malformed_baseline_is_refused_with_what_is_wrong(tmp_path, content, message):
    path = write(tmp_path / "baseline.json", content)
    with pytest.raises(check.BaselineError) as error:
        check.read_baseline(path)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path))


def test_an_entry_written_by_hand_without_id_is_read(tmp_path):
    path = write(tmp_path / "baseline.json", json.dumps({
        "figcheck": "baseline", "version": 1, "discrepancies": [{
            "quantity": "turkish killed", "reason": "by hand",
            "claims": [{"doc": "toll.txt", "text": "2,900  people", "value": 2900.0,
                        "source": "Evening Post"},
                       {"doc": "quake.txt", "text": "2,400 people", "value": 2400,
                        "attributed_to": "agency", "source": "Harbor Times"}]}]}))
    entry, = check.read_baseline(path).entries
    assert entry.key == _finding("toll.txt", 2900).key


# --- where claims stand ------------------------------------------------------------------------

def test_a_jsonl_article_is_placed_on_its_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    lines = [json.dumps({"id": "quake-1", "text": QUAKE}), "",
             json.dumps({"text": TOLL})]
    write(tmp_path / "wire.jsonl", "\n".join(lines) + "\n")
    code, out, _err = run(capsys, "check", "wire.jsonl", "--no-cache", "--format", "json")
    assert code == 1
    new, = json.loads(out)["new"]
    assert (new["newer"]["path"], new["newer"]["line"], new["newer"]["column"]) == ("wire.jsonl", 3, None)
    assert (new["older"]["line"], new["older"]["doc"]) == (1, "quake-1")


def test_display_paths_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check.display_path(str(tmp_path / "a" / "b.txt")) == "a/b.txt"
    assert check.display_path("/elsewhere/b.txt") == "/elsewhere/b.txt"
