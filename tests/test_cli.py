"""The ``figcheck`` command: arguments, outputs, skipped files and exit codes.

Most tests replace the extractor by one row per article, so that they check the wiring
whatever the extractor finds; the last ones run the real extractor on the seed articles.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from figcheck import cli, claims, io, parallel

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "sources"


@pytest.fixture
def one_row_per_article(monkeypatch):
    # The engine's method, which every way of extracting a batch calls (in this process:
    # these batches are too small to be sent to workers).
    def extract(self, article, debug=None):
        return [{"claim_id": f"id-{article.doc}", "doc": article.doc,
                 "published": article.published, "value": 75.0}]

    monkeypatch.setattr(claims.Engine, "extract", extract)


@pytest.fixture
def batch(tmp_path) -> Path:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.txt").write_text(" date 2024-10-22 The council counted 75 votes.\n")
    (folder / "b.txt").write_bytes(b"\x00\x01binary")
    return folder


def test_claims_prints_csv_and_reports_skipped_files(batch, capsys, one_row_per_article):
    assert cli.main(["claims", str(batch)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("claim_id,doc,source,published")
    assert out.splitlines()[1].startswith("id-a.txt,a.txt,,2024-10-22,")
    assert err == f"figcheck: skipped {batch / 'b.txt'}: binary file (contains NUL bytes)\n"


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_claims_writes_the_format_its_output_names(tmp_path, batch, capsys, one_row_per_article, suffix):
    output = tmp_path / "out" / f"claims{suffix}"
    assert cli.main(["claims", str(batch), "-o", str(output)]) == 0
    assert list(io.read_table(output)["doc"]) == ["a.txt"]
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith(f"figcheck: 1 claims from 1 articles written to {output}\n")


def test_claims_exits_2_when_no_article_can_be_read(tmp_path, capsys, one_row_per_article):
    (tmp_path / "b.txt").write_bytes(b"")
    assert cli.main(["claims", str(tmp_path), str(tmp_path / "nowhere")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"figcheck: skipped {tmp_path / 'b.txt'}: empty file\n" in err
    assert f"figcheck: skipped {tmp_path / 'nowhere'}: no such file or directory\n" in err
    assert err.splitlines()[-1].startswith("figcheck: no article could be read from ")


def test_claims_refuses_an_unknown_output_format_before_reading(batch, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["claims", str(batch), "-o", "claims.xlsx"])
    assert exit_.value.code == 2
    assert "cannot tell the table format of 'claims.xlsx'" in capsys.readouterr().err


def test_claims_exits_1_when_the_output_cannot_be_written(tmp_path, batch, capsys, one_row_per_article):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["claims", str(batch), "-o", str(blocker / "claims.csv")]) == 1
    assert "figcheck: cannot write" in capsys.readouterr().err


def test_max_bytes_is_passed_to_the_reader(batch, capsys, one_row_per_article):
    assert cli.main(["claims", str(batch / "a.txt"), "--max-bytes", "10"]) == 2
    assert "too large" in capsys.readouterr().err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([])
    assert exit_.value.code == 2


def test_the_program_freezes_its_heap_at_the_end_and_a_caller_s_is_left_alone(
        batch, capsys, monkeypatch, one_row_per_article):
    # As the figcheck program (no argv given), the objects left are frozen before the
    # interpreter's shutdown; a caller that passes argv keeps its collector as it was.
    import gc

    gc.unfreeze()
    try:
        assert cli.main(["claims", str(batch)]) == 0
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr("sys.argv", ["figcheck", "claims", str(batch)])
        assert cli.main() == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    out, _err = capsys.readouterr()
    assert out.count("id-a.txt,a.txt,") == 2


# --- with the real extractor -------------------------------------------------------------

def test_claims_on_the_seed_articles(tmp_path, capsys):
    output = tmp_path / "claims.jsonl"
    assert cli.main(["claims", str(SEEDS), "-o", str(output)]) == 0
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert rows, "the seed articles hold numeric claims"
    assert {row["doc"] for row in rows} <= {path.name for path in SEEDS.glob("*.txt")}


def test_claims_output_is_the_same_on_every_run(tmp_path, capsys):
    first, second = tmp_path / "one.csv", tmp_path / "two.csv"
    assert cli.main(["claims", str(SEEDS), "-o", str(first)]) == 0
    assert cli.main(["claims", str(SEEDS), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def _claims_csv(arguments, capsys) -> list[dict]:
    import csv
    import io as text_io

    assert cli.main(["claims", *arguments]) == 0
    return list(csv.DictReader(text_io.StringIO(capsys.readouterr().out)))


def test_claims_reads_the_settings_found_from_the_current_folder(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "newsroom"
    folder.mkdir()
    (folder / "a.txt").write_text(
        " date 2024-10-22 The ministry said 1,200 volunteers joined the relief effort.\n",
        encoding="utf-8")
    monkeypatch.chdir(folder)
    plain = _claims_csv([str(folder)], capsys)
    key = plain[0]["quantity"]
    assert key
    (folder / "figcheck.toml").write_text(
        f'[quantities.names]\n"{key}" = "relief volunteers"\n', encoding="utf-8")
    named = _claims_csv([str(folder)], capsys)
    assert [row["quantity"] for row in named] == ["relief volunteers"]
    # --config names another file, which wins over the one found.
    other = tmp_path / "other.toml"
    other.write_text(f'[quantities.names]\n"{key}" = "helpers"\n', encoding="utf-8")
    assert [row["quantity"] for row in _claims_csv([str(folder), "--config", str(other)], capsys)] \
        == ["helpers"]


def test_claims_refuses_a_bad_settings_file(tmp_path, capsys):
    bad = tmp_path / "figcheck.toml"
    bad.write_text("[tolerances]\nabout = 7\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        cli.main(["claims", str(SEEDS), "--config", str(bad)])
    assert stop.value.code == 2
    assert "tolerances.about" in capsys.readouterr().err


def test_a_rule_folder_named_by_the_settings_and_by_rules_is_read_once(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "newsroom"
    (folder / "my_rules").mkdir(parents=True)
    (folder / "my_rules" / "speakers.toml").write_text(
        '[[rule]]\nid = "SPK-USER-RELIEF-CHIEF"\ncanonical = "Relief Chief"\nkind = "person"\n'
        'aliases = ["The relief chief"]\n', encoding="utf-8")
    (folder / "figcheck.toml").write_text('rules = ["my_rules"]\n', encoding="utf-8")
    (folder / "a.txt").write_text(
        " date 2024-10-22 The relief chief said 1,200 volunteers joined the effort.\n",
        encoding="utf-8")
    monkeypatch.chdir(folder)
    for arguments in ([str(folder)], [str(folder), "--rules", str(folder / "my_rules")]):
        rows = _claims_csv(arguments, capsys)
        assert [row["attributed_to"] for row in rows] == ["Relief Chief"], arguments


def _program(*args: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    import subprocess
    import sys

    # (buffered output, as the program's usually is: what it holds at the end must be flushed)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-m", "figcheck", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120, env=environment)


def test_the_program_ends_at_once_with_its_output_whole_and_its_exit_code(tmp_path, capsys):
    # The program skips the interpreter's shutdown: its output must still be all there
    # (stdout and stderr, whatever their buffers held) and its exit code kept.
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(60):
        (folder / f"n{number:02d}.txt").write_text(
            f" date 2024-10-22 The council counted {number + 75} votes and 3,{number:03d} "
            f"ballots.\n", encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"\x00\x01binary")
    done = _program("claims", str(folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert cli.main(["claims", str(folder)]) == 0
    in_process = capsys.readouterr()
    assert done.stdout == in_process.out and len(done.stdout.splitlines()) == 121
    assert "broken.txt" in done.stderr and done.stderr == in_process.err

    empty = tmp_path / "empty"
    empty.mkdir()
    assert _program("claims", str(empty), cwd=tmp_path).returncode == 2
    cannot = _program("claims", str(folder), "-o", str(folder / "n00.txt" / "claims.csv"),
                      cwd=tmp_path)
    assert cannot.returncode == 1 and "figcheck: cannot write" in cannot.stderr


def test_the_program_leaves_the_usual_shutdown_to_what_is_still_running(monkeypatch):
    import sys
    import threading

    # (as in a figcheck process: what other tests of this session left running is not counted)
    import types

    left = len(threading.enumerate())
    monkeypatch.setattr(threading, "active_count", lambda: len(threading.enumerate()) - left + 1)
    monkeypatch.setitem(sys.modules, "multiprocessing",
                        types.SimpleNamespace(active_children=lambda: []))
    monkeypatch.delitem(sys.modules, "distributed", raising=False)
    monkeypatch.delitem(sys.modules, "coverage", raising=False)
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    monkeypatch.setattr(sys, "getprofile", lambda: None)
    assert cli._nothing_left_running()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not cli._nothing_left_running()
    finally:
        stop.set()
        thread.join()
    monkeypatch.setitem(__import__("sys").modules, "distributed", object())
    assert not cli._nothing_left_running()


def test_under_a_profiler_the_program_ends_as_usual_so_the_profile_is_written(tmp_path, batch):
    import subprocess
    import sys

    profile = tmp_path / "claims.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "figcheck",
                           "claims", str(batch)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0


def test_the_program_ends_at_once_and_a_last_line_without_newline_still_arrives(tmp_path):
    # In a child whose main writes a last line without a newline (held in the buffer), and
    # registers an exit handler that a normal shutdown would run: the line arrives, the
    # handler does not run, the exit code is kept.
    import subprocess
    import sys

    child = (
        "import atexit, sys\n"
        "from figcheck import cli\n"
        "atexit.register(lambda: print('normal shutdown'))\n"
        "def command():\n"
        "    sys.stdout.write('last line, no newline')\n"
        "    sys.stderr.write('progress 9/9')\n"
        "    return 3\n"
        "cli.main = command\n"
        "cli.program()\n")
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env=environment)
    assert done.returncode == 3
    assert done.stdout == "last line, no newline"
    assert done.stderr == "progress 9/9"


def _probe_at_exit(tmp_path: Path, code: str):
    """A function running Python (its arguments, and settings of the environment by name;
    None removes one) with ``code`` run at its exit (a ``sitecustomize`` module), which
    writes what it sees to the file named by ``SEEN``: what that was."""
    import subprocess
    import sys

    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text("import atexit, os\n" + code, encoding="utf-8")
    seen = tmp_path / "seen.txt"

    def seen_at_exit(*args: str, **env: str | None) -> str:
        environment = {**os.environ, "PYTHONPATH": str(probe), "SEEN": str(seen), **env}
        environment = {name: value for name, value in environment.items() if value is not None}
        subprocess.run([sys.executable, *args], capture_output=True, cwd=tmp_path,
                       timeout=120, env=environment, check=True)
        return seen.read_text(encoding="utf-8")

    return seen_at_exit


@pytest.mark.parametrize("variable, program_sets", [("OPENBLAS_NUM_THREADS", "1"),
                                                    ("ARROW_DEFAULT_MEMORY_POOL", "system")])
def test_the_program_sets_numpy_s_threads_and_arrow_s_allocator_and_a_notebook_keeps_its_own(
        tmp_path, variable, program_sets):
    # OpenBLAS reads its thread count once, when NumPy loads it, and Arrow its allocator
    # when pyarrow loads: the program sets them before (its workers inherit them); a
    # caller's own setting wins; a plain import leaves them alone.
    import sys

    seen_at_exit = _probe_at_exit(
        tmp_path, "atexit.register(lambda: open(os.environ['SEEN'], 'w').write(\n"
                  f"    str(os.environ.get({variable!r}))))\n")

    def setting_seen(*args: str, **env: str) -> str:
        return seen_at_exit(*args, **{variable: None, **env})

    assert setting_seen("-m", "figcheck", "--version") == program_sets
    assert setting_seen("-m", "figcheck", "--version", **{variable: "mine"}) == "mine"
    assert setting_seen("-c", "import figcheck") == "None"
    installed = Path(sys.executable).with_name("figcheck")
    if installed.exists():  # (the command pip made: run as its file, by this Python)
        assert setting_seen(str(installed), "--version") == program_sets


def test_the_program_keeps_the_collector_on_and_a_library_import_leaves_it_untouched(tmp_path):
    # The program imports pandas with the cyclic collector paused and then freezes what the
    # imports made; it must run on with the collector on (a batch's cycles are freed). An
    # import by a notebook or another library must not pause, freeze or retune anything.
    collector_seen = _probe_at_exit(
        tmp_path, "import gc\n"
                  "atexit.register(lambda: open(os.environ['SEEN'], 'w').write(\n"
                  "    f'{gc.isenabled()} {gc.get_freeze_count() > 0} {gc.get_threshold()}'))\n")
    untouched = collector_seen("-c", "pass").split(maxsplit=2)[2]
    assert collector_seen("-m", "figcheck", "--version").startswith("True True ")
    assert collector_seen("-c", "import figcheck") == f"True False {untouched}"
    assert collector_seen("-c", "import gc; gc.disable(); import figcheck") == \
        f"False False {untouched}"


def test_the_installed_command_and_python_m_run_the_program():
    import tomllib

    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["figcheck"] == "figcheck.cli:program"
    assert "program()" in (REPOSITORY / "figcheck" / "__main__.py").read_text(encoding="utf-8")


def test_the_program_flushes_what_its_streams_hold_before_it_ends(monkeypatch):
    import io as stdio
    import sys

    class Stream(stdio.StringIO):
        def __init__(self):
            super().__init__()
            self.held, self.flushed = "", ""

        def write(self, text):
            self.held += text
            return len(text)

        def flush(self):
            self.flushed, self.held = self.flushed + self.held, ""

    ended = []
    out, err = Stream(), Stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)

    def command():
        out.write("claim_id,doc\n")
        err.write("\rprogress 60/60")  # (a progress bar's last state: no newline)
        return 1

    monkeypatch.setattr(cli, "main", command)
    monkeypatch.setattr(cli, "_nothing_left_running", lambda: True)
    monkeypatch.setattr(cli.os, "_exit", lambda code: ended.append(code))
    with pytest.raises(SystemExit):  # (os._exit, replaced, returned: sys.exit follows)
        cli.program()
    assert ended == [1]
    assert (out.flushed, out.held) == ("claim_id,doc\n", "")
    assert (err.flushed, err.held) == ("\rprogress 60/60", "")


def test_the_command_says_in_one_line_that_its_workers_cannot_start(tmp_path, monkeypatch, capsys):
    def cannot_start(*args, **kwargs):
        raise parallel.WorkersCannotStart("worker processes stop as they start")

    monkeypatch.setattr(parallel, "extract", cannot_start)
    assert cli.main(["report", str(SEEDS), "-o", str(tmp_path), "--jobs", "2"]) == 1
    assert capsys.readouterr().err == "figcheck: error: worker processes stop as they start\n"
    assert not list(tmp_path.iterdir())


def test_the_program_s_arrow_allocates_with_the_c_library(tmp_path):
    pytest.importorskip("pyarrow")
    seen_at_exit = _probe_at_exit(
        tmp_path, "def seen():\n"
                  "    import pyarrow\n"
                  "    open(os.environ['SEEN'], 'w').write(pyarrow.default_memory_pool().backend_name)\n"
                  "atexit.register(seen)\n")
    assert seen_at_exit("-m", "figcheck", "--version", ARROW_DEFAULT_MEMORY_POOL=None) == "system"
