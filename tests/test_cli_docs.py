"""Every option of every command is documented, in ``--help`` and in the README, and the two
agree; every ``figcheck`` command line written in the README, the workflow example and the
pre-commit hook is one the parser accepts."""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from figcheck import cli

REPOSITORY = Path(__file__).resolve().parent.parent
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
_TABLE_ROW = re.compile(r"^\|(?P<first>[^|]*)\|", re.MULTILINE)
_CODE = re.compile(r"`([^`]+)`")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subparsers.choices)


def documented_actions(command: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in command._actions if not isinstance(a, argparse._HelpAction)]


def names(action: argparse.Action) -> list[str]:
    """``["-o", "--output"]`` for an option, ``["PATH"]`` for a positional argument."""
    return list(action.option_strings) or [action.metavar or action.dest.upper()]


def reference_section(name: str) -> str:
    reference = README.split("\n## Command reference\n", 1)[1].split("\n## ", 1)[0]
    heading = f"### `figcheck {name}`\n"
    assert heading in reference, f"the README's Command reference has no {heading.strip()}"
    return reference.split(heading, 1)[1].split("\n### ", 1)[0]


def readme_options(name: str) -> tuple[set[str], set[str]]:
    """The options in the first column of the command's table, and those of its synopsis."""
    section = reference_section(name)
    in_table = set()
    for row in _TABLE_ROW.finditer(section):
        for code in _CODE.findall(row["first"]):
            in_table.add(code.split()[0])
    synopsis = _CODE.search(section)[1]
    in_synopsis = {token.strip("[]|") for token in synopsis.split()
                   if token.strip("[]|").startswith("-")}
    return in_table, in_synopsis


def test_the_readme_documents_every_command():
    reference = README.split("\n## Command reference\n", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^### `figcheck (\w+)`$", reference, re.MULTILINE)
    assert documented == list(commands())


@pytest.mark.parametrize("name", list(commands()))
def test_every_option_has_help(name):
    command = commands()[name]
    text = command.format_help()
    for action in documented_actions(command):
        assert action.help and action.help != argparse.SUPPRESS, f"{name} {names(action)}: no help"
        for option in action.option_strings:
            assert option in text


@pytest.mark.parametrize("name", list(commands()))
def test_the_readme_and_help_list_the_same_options(name):
    command = commands()[name]
    in_parser = {n for action in documented_actions(command) for n in names(action)}
    in_table, in_synopsis = readme_options(name)
    assert in_table == in_parser, (
        f"figcheck {name}: in --help only {sorted(in_parser - in_table)}, "
        f"in the README only {sorted(in_table - in_parser)}")
    options = {n for n in in_parser if n.startswith("-")}
    long_or_only = {n for action in documented_actions(command) for n in action.option_strings[:1]}
    assert long_or_only <= in_synopsis <= options, f"figcheck {name}: the README's synopsis"


def _command_lines(text: str, variables: dict[str, str] | None = None) -> list[list[str]]:
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        for prefix in ("- run:", "run:", "entry:"):
            line = line.removeprefix(prefix).strip()
        if not line.startswith("figcheck "):
            continue
        for name, value in (variables or {}).items():
            line = line.replace(f'"${name}"', value).replace(f"${name}", value)
        lines.append(shlex.split(line, comments=True))
    return lines


def _readme_code_blocks() -> str:
    """The lines of the README's code blocks that have no language (shell sessions)."""
    lines, language = [], None
    for line in README.splitlines():
        if line.startswith("```"):
            language = line[3:].strip() if language is None else None
        elif language == "":
            lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("source", ["README.md", "examples/github-workflow.yml"])
def test_command_lines_in_the_docs_are_accepted(source):
    text = _readme_code_blocks() if source == "README.md" else (REPOSITORY / source).read_text()
    lines = _command_lines(text, {"ARTICLES": "articles/"})
    assert lines, f"{source} has figcheck command lines"
    parser = cli._build_parser()
    for argv in lines:
        args = parser.parse_args(argv[1:])
        assert callable(args.run), argv


def test_the_workflow_uses_the_github_format_and_the_cache():
    workflow = (REPOSITORY / "examples" / "github-workflow.yml").read_text()
    assert 'figcheck check "$ARTICLES" --format github' in workflow
    assert "path: .figcheck" in workflow


def test_the_pre_commit_hook_runs_a_check_on_the_whole_folder():
    hooks = (REPOSITORY / ".pre-commit-hooks.yaml").read_text()
    entry = re.search(r"^  entry: (.+)$", hooks, re.MULTILINE)[1]
    args = re.search(r"^  args: (\[.*\])$", hooks, re.MULTILINE)[1]
    argv = shlex.split(entry)[1:] + [a.strip(' "') for a in args.strip("[]").split(",")]
    assert argv[0] == "check"
    assert cli._build_parser().parse_args(argv).run is cli._run_check
    assert re.search(r"^  pass_filenames: false$", hooks, re.MULTILINE)
