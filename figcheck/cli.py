"""The ``figcheck`` command line: argparse wiring only, the work is done by the library.

Each command is one ``_add_<name>_command`` function that declares its arguments and sets
``run`` to a function ``(args) -> exit code``; :data:`_COMMANDS` lists them in help order.
This is the only module that prints.

Exit codes: 0 done; 1 the output could not be written; 2 bad usage, or no article at all
could be read.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Callable, Sequence

import figcheck
from figcheck import config, io


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``figcheck`` command with ``argv`` (``sys.argv[1:]`` by default); the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        # `figcheck claims ... | head` closed the pipe: not an error of ours. Point stdout
        # at devnull so that the flush at exit does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


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
                    "(.txt, .md, .html, .htm and .jsonl files, folders searched recursively).")
    command.add_argument("paths", nargs="+", metavar="PATH", help="article files or folders")
    command.add_argument("-o", "--output", metavar="FILE",
                         help="write the table to FILE (" + ", ".join(io.FORMATS)
                              + "); default: CSV on standard output")
    _add_input_options(command)
    command.set_defaults(run=_run_claims, parser=command)


def _add_input_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--max-bytes", type=int, default=None, metavar="N",
                         help="skip article files larger than N bytes (default 10,000,000)")
    command.add_argument("--rules", action="append", default=[], metavar="DIR",
                         help="a folder of your own rule files (speakers.toml, units.toml...) "
                              "read after the built-in ones; may be given more than once")


def _run_claims(args: argparse.Namespace) -> int:
    if args.output is not None:
        try:
            io.table_format(args.output)
        except ValueError as exc:
            args.parser.error(str(exc))
    frame = figcheck.extract(args.paths, max_bytes=args.max_bytes, rule_dirs=args.rules)
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
    command.add_argument("--config", metavar="FILE",
                         help="settings file (figcheck.toml or pyproject.toml) instead of the "
                              "one found from the current folder")
    command.add_argument("--no-charts", action="store_true",
                         help="do not draw timeline charts even when matplotlib is installed")
    _add_input_options(command)
    command.set_defaults(run=_run_report, parser=command)


def _run_report(args: argparse.Namespace) -> int:
    try:
        settings = config.read(args.config) if args.config else config.load()
    except config.ConfigError as exc:
        args.parser.error(str(exc))
    if args.no_charts:
        settings = dataclasses.replace(settings, charts=False)
    frame = figcheck.extract(args.paths, max_bytes=args.max_bytes, rule_dirs=args.rules,
                             config=settings)
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
# To come: each an _add_<name>_command function like the ones above, listed in _COMMANDS.


_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    _add_claims_command,
    _add_report_command,
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


def _print_bytes(data: bytes) -> None:
    # UTF-8 whatever the terminal's locale, so piped output is the same as a written file.
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _error(message: str) -> None:
    print(f"figcheck: {message}", file=sys.stderr)
