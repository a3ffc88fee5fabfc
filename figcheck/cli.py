"""The ``figcheck`` command line: argparse wiring only, the work is done by the library.

Each command is one ``_add_<name>_command`` function that declares its arguments and sets
``run`` to a function ``(args) -> exit code``; :data:`_COMMANDS` lists them in help order.
This is the only module that prints.

Exit codes: 0 done; 1 the output could not be written; 2 bad usage, or no article at all
could be read. ``figcheck check`` gives 1 a meaning of its own: new discrepancies (and 2
when its output cannot be written).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import os
import sys
from typing import Callable, Iterator, NoReturn, Sequence

import figcheck
from figcheck import cache, check, config, formats, io


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``figcheck`` command with ``argv`` (``sys.argv[1:]`` by default); the exit code.

    Without ``argv``, as the ``figcheck`` program (and ``python -m figcheck``) calls it,
    the process ends when the command does: the objects left are then frozen
    (:func:`gc.freeze`), so that the collections of the interpreter's shutdown do not walk
    them all (pandas' among them, a tenth of a second of a ``figcheck check`` that costs
    a second). A caller that passes ``argv`` keeps its collector as it was.
    """
    program = argv is None
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except RuntimeError as exc:
        # (figcheck.parallel is imported only by the commands that extract: a check of a
        # cached batch does without its 60 ms; unimported, it raised nothing)
        parallel = sys.modules.get("figcheck.parallel")
        if parallel is None or not isinstance(exc, parallel.WorkersCannotStart):
            raise
        _error(f"error: {exc}")
        return 1
    except BrokenPipeError:
        # `figcheck claims ... | head` closed the pipe: not an error of ours. Point stdout
        # at devnull so that the flush at exit does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if program:
            gc.freeze()


def program() -> NoReturn:
    """The ``figcheck`` program: :func:`main`, then the process ends at once.

    The interpreter's shutdown frees every object one by one (pandas' modules, a batch's
    tables), about a twentieth of a second of a ``figcheck check`` that costs one; the
    program ends without it (as mypy does), once its output is flushed. Not when the
    command left something running that its own shutdown stops (a thread, a worker
    process, a Dask cluster), nor under a tracer or profiler (coverage, cProfile), which
    write their results at the end: then the interpreter ends it as usual.
    """
    code = main()
    if _nothing_left_running():
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            pass  # (as main does: the reader went away, not an error of ours)
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _nothing_left_running() -> bool:
    import threading

    if threading.active_count() > 1 or "distributed" in sys.modules:
        return False
    if sys.gettrace() is not None or sys.getprofile() is not None or "coverage" in sys.modules:
        return False
    processes = sys.modules.get("multiprocessing")
    return processes is None or not processes.active_children()


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="figcheck",
        description="Extract every numeric claim of a batch of news articles into a table.")
    parser.add_argument("--version", action="version", version=f"figcheck {figcheck.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in _COMMANDS:
        add_command(commands)
    return parser


# --- claims --------------------------------------------------------------------------------

def _add_claims_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "claims", help="the claims table of every article under PATHS",
        description="Write one row per numeric claim of every article under PATHS "
                    "(.txt, .md, .html, .htm and .jsonl files, folders searched recursively). "
                    "Settings (rule folders, quantities) come from figcheck.toml, or "
                    "[tool.figcheck] in pyproject.toml, in the current folder or above.")
    command.add_argument("paths", nargs="+", metavar="PATH", help="article files or folders")
    command.add_argument("-o", "--output", metavar="FILE",
                         help="write the table to FILE (" + ", ".join(io.FORMATS)
                              + "); default: CSV on standard output")
    _add_config_option(command)
    _add_input_options(command)
    _add_keep_text_option(command)
    command.set_defaults(run=_run_claims, parser=command)


def _add_config_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", metavar="FILE",
                         help="settings file (figcheck.toml or pyproject.toml) instead of the "
                              "one found from the current folder")


def _add_keep_text_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--keep-text", metavar="DIR", default=None,
                         help="write the text of every article into DIR (DOC.txt): the text "
                              "the claims' offsets refer to, for an HTML page the text taken "
                              "from it")


def _add_input_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--max-bytes", type=int, default=None, metavar="N",
                         help="skip article files larger than N bytes (default 10,000,000)")
    command.add_argument("--rules", action="append", default=[], metavar="DIR",
                         help="a folder of your own rule files (speakers.toml, units.toml...) "
                              "read after the built-in ones; may be given more than once")
    command.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                         help="read and extract with N processes (default: one per core); "
                              "the output is the same for any N; with the cache, new "
                              "articles are extracted in one process")
    command.add_argument("--no-progress", action="store_true",
                         help="no progress bar (one is shown on standard error when it is a "
                              "terminal, tqdm is installed and the batch takes more than a "
                              "second)")


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {jobs}")
    return jobs


def _extract(args: argparse.Namespace, **kwargs):
    """figcheck.api.extract_batch with the input options every command has."""
    with _progress_bar(args) as progress:
        return figcheck.api.extract_batch(args.paths, max_bytes=args.max_bytes,
                                          rule_dirs=args.rules, jobs=args.jobs,
                                          progress=progress, **kwargs)


def _run_claims(args: argparse.Namespace) -> int:
    if args.output is not None:
        try:
            io.table_format(args.output)
        except ValueError as exc:
            args.parser.error(str(exc))
    frame = _extract(args, config=_settings(args), keep_text=args.keep_text).claims
    if not _report_skipped(frame, args.paths):
        return 2
    if args.output is None:
        _print_bytes(io.to_text(frame, ".csv").encode("utf-8"))
        return 0
    try:
        io.write_table(frame, args.output)
    except (OSError, ImportError) as exc:
        _error(f"cannot write {args.output}: {exc}")
        return 1
    _error(f"{len(frame)} claims from {frame.attrs.get('articles', 0)} articles "
           f"written to {args.output}")
    return 0


# --- report ------------------------------------------------------------------------------

def _add_report_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "report", help="where the figures of the articles under PATHS disagree (markdown + tables)",
        description="Group the claims of every article under PATHS into quantities, flag the "
                    "pairs of figures that disagree, and write DIR/discrepancies.md (the "
                    "report), DIR/claims.csv and DIR/discrepancies.csv, plus DIR/charts/*.png "
                    "when matplotlib is installed. Settings come from figcheck.toml, or "
                    "[tool.figcheck] in pyproject.toml, in the current folder or above.")
    command.add_argument("paths", nargs="+", metavar="PATH", help="article files or folders")
    command.add_argument("-o", "--output", metavar="DIR", default="reports",
                         help="folder to write into (default: reports/)")
    _add_config_option(command)
    command.add_argument("--no-charts", action="store_true",
                         help="do not draw timeline charts even when matplotlib is installed")
    command.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                         help="pandas: this machine, --jobs processes (default); dask: a Dask "
                              "cluster, the claims also written as the Parquet dataset "
                              "DIR/claims.parquet/ (needs the dask extra); the report is the "
                              "same")
    command.add_argument("--scheduler", metavar="ADDRESS",
                         help="with --engine dask, the address of the cluster's scheduler "
                              "(tcp://host:8786); default: a local cluster of --jobs workers "
                              "made for the run")
    _add_input_options(command)
    _add_keep_text_option(command)
    command.set_defaults(run=_run_report, parser=command)


def _run_report(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.no_charts:
        settings = dataclasses.replace(settings, charts=False)
    if args.engine == "dask":
        if args.keep_text is not None:
            args.parser.error("--keep-text is not available with --engine dask")
        from figcheck import dask as on_dask

        try:
            frame = on_dask.report_claims(args.paths, args.output, scheduler=args.scheduler,
                                          workers=args.jobs, max_bytes=args.max_bytes,
                                          rule_dirs=args.rules, config=settings)
        except ImportError as exc:
            _error(str(exc))
            return 2
    else:
        if args.scheduler is not None:
            args.parser.error("--scheduler needs --engine dask")
        frame = _extract(args, config=settings, keep_text=args.keep_text).claims
    if not _report_skipped(frame, args.paths):
        return 2
    try:
        written = figcheck.write_report(frame, args.output, config=settings)
    except (OSError, ImportError) as exc:
        _error(f"cannot write the report into {args.output}: {exc}")
        return 1
    if "charts_note" in written and settings.charts:
        _error(written["charts_note"])
    _error(f"{len(frame)} claims from {frame.attrs.get('articles', 0)} articles: report written to "
           f"{written['report']} (with {os.path.basename(written['claims'])} and "
           f"{os.path.basename(written['discrepancies'])})")
    return 0


# --- check, baseline -------------------------------------------------------------------------

def _add_check_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "check", help="fail when the articles under PATHS hold a discrepancy the baseline "
                      "does not acknowledge",
        description="Find the discrepancies of the articles under PATHS (as figcheck report "
                    "does) and compare them with the baseline file. Exit 0 when every one is "
                    "acknowledged there, 1 when there are new ones, 2 when the check could "
                    "not be done (no article could be read, a bad baseline or settings file, "
                    "an output that cannot be written). Articles already read are taken from "
                    "the extraction cache.")
    command.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                         help="article files or folders (default: the current folder); give "
                              "the same ones as to figcheck baseline")
    command.add_argument("--baseline", metavar="FILE",
                         help=f"the baseline of acknowledged discrepancies (default: "
                              f"{check.DEFAULT_BASELINE}; when that file does not exist, every "
                              f"discrepancy is new)")
    command.add_argument("--update-baseline", action="store_true",
                         help="rewrite the baseline without its stale entries (those that "
                              "match no discrepancy any more); new ones are not added")
    command.add_argument("--format", choices=formats.FORMATS, default="text",
                         help="text: a line per new discrepancy (default); json; github: "
                              "workflow annotations at the newer claim, and the summary "
                              "appended to $GITHUB_STEP_SUMMARY when it is set; sarif: SARIF "
                              "2.1.0 for code scanning")
    command.add_argument("-o", "--output", metavar="FILE",
                         help="write the report to FILE instead of standard output")
    command.add_argument("--exit-zero", action="store_true",
                         help="exit 0 even when there are new discrepancies (they are "
                              "reported as warnings)")
    _add_check_options(command)
    command.set_defaults(run=_run_check, parser=command)


def _add_baseline_command(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "baseline", help="acknowledge every discrepancy of the articles under PATHS",
        description="Write the baseline file: every discrepancy the articles under PATHS hold "
                    "now, keyed by the claims' content (quantity, documents, figures as "
                    "written, claimants, outlets), so that figcheck check passes until a new "
                    "one appears. Reasons already in the file are kept; entries that no "
                    "longer match are dropped. Commit the file.")
    command.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                         help="article files or folders (default: the current folder)")
    command.add_argument("--baseline", metavar="FILE", default=check.DEFAULT_BASELINE,
                         help=f"the file to write (default: {check.DEFAULT_BASELINE})")
    command.add_argument("--reason", metavar="TEXT",
                         help="the reason given to the discrepancies not yet in the file")
    _add_check_options(command)
    command.set_defaults(run=_run_baseline, parser=command)


def _add_check_options(command: argparse.ArgumentParser) -> None:
    _add_config_option(command)
    caching = command.add_mutually_exclusive_group()
    caching.add_argument("--cache", metavar="FILE", default=cache.DEFAULT_PATH,
                         help=f"the extraction cache, an SQLite file (default: "
                              f"{cache.DEFAULT_PATH}); made when missing, rebuilt when the "
                              f"rules or figcheck change")
    caching.add_argument("--no-cache", action="store_true",
                         help="read and extract every article, without the cache")
    _add_input_options(command)


def _baseline_and_findings(args: argparse.Namespace, path: str, missing_ok: bool):
    """The baseline at ``path``, the claims of ``args.paths`` and their findings; None after
    reporting the error when the baseline is bad or no article could be read."""
    settings = _settings(args)
    try:
        baseline = check.read_baseline(path, missing_ok=missing_ok)
    except check.BaselineError as exc:
        _error(str(exc))
        return None
    extraction = _extract_with_cache(args, settings)
    if not _report_skipped(extraction.claims, args.paths):
        return None
    frame = extraction.claims
    found = check.findings(frame, figcheck.discrepancies(frame, config=settings), extraction.paths)
    return baseline, frame, found


def _run_check(args: argparse.Namespace) -> int:
    loaded = _baseline_and_findings(args, args.baseline or check.DEFAULT_BASELINE,
                                    missing_ok=args.baseline is None)
    if loaded is None:
        return 2
    baseline, frame, found = loaded
    outcome = check.compare(found, baseline, articles=frame.attrs.get("articles", 0),
                            claims=len(frame), skipped=frame.attrs.get("skipped", []))
    level = "warning" if args.exit_zero else "error"
    rendered = {"text": formats.text, "json": formats.json_document,
                "github": lambda o: formats.github(o, level=level),
                "sarif": lambda o: formats.sarif(o, level=level)}[args.format](outcome)
    try:
        if args.output is None:
            _print_bytes(rendered.encode("utf-8"))
        else:
            io.write_file(args.output, rendered.encode("utf-8"))
        if args.format == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
            _append_step_summary(os.environ["GITHUB_STEP_SUMMARY"], outcome)
        if args.update_baseline and outcome.stale:
            check.write_baseline(check.prune(baseline, outcome.stale), baseline.path)
            _error(f"{_count(len(outcome.stale), 'stale entry', 'stale entries')} pruned "
                   f"from {baseline.path}")
    except OSError as exc:
        _error(f"cannot write: {exc}")
        return 2
    if args.output is not None:
        _error(formats.summary(outcome) + f"; report written to {args.output}")
    return 1 if outcome.failed and not args.exit_zero else 0


def _run_baseline(args: argparse.Namespace) -> int:
    loaded = _baseline_and_findings(args, args.baseline, missing_ok=True)
    if loaded is None:
        return 2
    previous, _frame, found = loaded
    baseline = check.make_baseline(found, previous, reason=args.reason, path=args.baseline)
    try:
        check.write_baseline(baseline, args.baseline)
    except OSError as exc:
        _error(f"cannot write {args.baseline}: {exc}")
        return 1
    before = previous.by_key()
    added = sum(1 for e in baseline.entries if e.key not in before)
    dropped = len(set(before) - {e.key for e in baseline.entries})
    _error(f"{args.baseline}: {_count(len(baseline.entries), 'discrepancy', 'discrepancies')} "
           f"acknowledged ({added:,} added, {len(baseline.entries) - added:,} kept, "
           f"{dropped:,} no longer found and dropped)")
    return 0


def _settings(args: argparse.Namespace) -> config.Config:
    try:
        return config.read(args.config) if args.config else config.load()
    except config.ConfigError as exc:
        args.parser.error(str(exc))


def _extract_with_cache(args: argparse.Namespace, settings: config.Config):
    store = None if args.no_cache else cache.Cache(args.cache)
    try:
        extraction = _extract(args, config=settings, cache=store)
    finally:
        if store is not None:
            store.close()
    if store is not None:
        _error(store.warning or f"{store.stats.describe()} ({store.path})")
    return extraction


def _append_step_summary(path: str, outcome) -> None:
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    text = formats.markdown(outcome, limit=max(formats.STEP_SUMMARY_LIMIT - used, 0))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_claims_command,
    _add_report_command,
    _add_check_command,
    _add_baseline_command,
)


# --- output helpers ------------------------------------------------------------------------

def _report_skipped(frame, paths: Sequence[str]) -> bool:
    """Print the files that could not be read; False when no article at all could be."""
    for skipped in frame.attrs.get("skipped", []):
        _error(f"skipped {skipped}")
    if frame.attrs.get("articles", 0) == 0:
        _error("no article could be read from " + " ".join(paths)
               + " (figcheck reads .txt, .md, .html, .htm and .jsonl files)")
        return False
    return True


#: Batches that take less than this show no progress bar.
PROGRESS_DELAY_SECONDS = 1.0


@contextlib.contextmanager
def _progress_bar(args: argparse.Namespace) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on standard error, closed
    at the end of the block; None with --no-progress, when standard error is not a
    terminal or when tqdm (the ``progress`` extra) is missing."""
    if args.no_progress or not sys.stderr.isatty():
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield None
        return
    # delay: nothing is drawn for a batch done within the first second.
    with tqdm(total=0, unit=" files", file=sys.stderr, leave=False,
              delay=PROGRESS_DELAY_SECONDS, dynamic_ncols=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield progress


def _print_bytes(data: bytes) -> None:
    # UTF-8 whatever the terminal's locale, so piped output is the same as a written file.
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _error(message: str) -> None:
    print(f"figcheck: {message}", file=sys.stderr)
