"""A project's settings: ``figcheck.toml``, or ``[tool.figcheck]`` in ``pyproject.toml``.

Everything a user can change without touching code: extra rule folders, the interval
tolerances, and the quantities (name them, merge several keys into one, split one key by a
pattern on the sentence). ``figcheck.toml`` holds the keys at its top level;
``pyproject.toml`` holds the same keys under ``[tool.figcheck]``::

    rules = ["my_rules"]                     # folders of your own rule files

    [tolerances]                             # the contract's defaults
    exact = 0.005                            # a bare figure: v ± 0.5 %
    about = 0.05                             # about, around...: v ± 5 %
    nearly = 0.05                            # nearly, almost...: [v - 5 %, v]

    [quantities.names]                       # a key → the name shown instead
    "north korean soldiers" = "dprk troops in russia"

    [quantities.merge]                       # several keys → one name
    "dprk losses" = ["north korean casualties", "north korean soldiers, killed"]

    [[quantities.split]]                     # part of one key → a name of its own
    quantity = "north korean soldiers"
    when = "(?i)\\bKursk\\b"                # a pattern on the claim's sentence
    name = "dprk troops in kursk"

    [report]
    charts = true                            # timeline PNGs when matplotlib is installed
    max_pairs = 20                           # flagged pairs listed per quantity

Splits apply to the keys the rules derive; names and merges then apply to the result.
:func:`load` finds the file from a folder upward; :func:`read` reads a given one. Paths in
``rules`` are relative to the file's folder.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from figcheck import rules

#: A pattern of a split runs over one sentence; bounded like every other match.
REGEX_TIMEOUT_SECONDS = rules.REGEX_TIMEOUT_SECONDS


class ConfigError(ValueError):
    """The settings file is malformed: the message names the file and the key."""


@dataclass(frozen=True)
class Tolerances:
    """Relative widths of the intervals of ``exact``, ``about`` and ``nearly`` figures."""

    exact: float = 0.005
    about: float = 0.05
    nearly: float = 0.05


@dataclass(frozen=True)
class Split:
    """Claims of ``quantity`` whose sentence matches ``when`` get the key ``name``."""

    quantity: str
    when: str
    name: str

    def matches(self, sentence: str) -> bool:
        return regex.search(self.when, sentence or "", timeout=REGEX_TIMEOUT_SECONDS) is not None


@dataclass(frozen=True)
class Config:
    """The settings of one project; ``Config()`` is figcheck's defaults."""

    path: str | None = None
    rule_dirs: tuple[str, ...] = ()
    tolerances: Tolerances = field(default_factory=Tolerances)
    names: tuple[tuple[str, str], ...] = ()
    splits: tuple[Split, ...] = ()
    charts: bool = True
    max_pairs: int = 20

    def name_of(self, key: str) -> str | None:
        """The name ``key`` is given by ``[quantities.names]`` or ``[quantities.merge]``."""
        for old, new in self.names:
            if old == key:
                return new
        return None


_TOP_KEYS = {"rules", "tolerances", "quantities", "report"}
_QUANTITY_KEYS = {"names", "merge", "split"}
_REPORT_KEYS = {"charts", "max_pairs"}


def load(start: str | os.PathLike | None = None) -> Config:
    """The settings that apply in folder ``start`` (the current folder by default).

    Looks in ``start`` and then each parent folder for ``figcheck.toml``, or else a
    ``pyproject.toml`` with a ``[tool.figcheck]`` table; the first found is read. Without
    either, figcheck's defaults.
    """
    folder = Path(start if start is not None else os.getcwd()).resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        own = candidate / "figcheck.toml"
        if own.is_file():
            return read(own)
        project = candidate / "pyproject.toml"
        if project.is_file() and "figcheck" in _parse(project).get("tool", {}):
            return read(project)
    return Config()


def read(path: str | os.PathLike) -> Config:
    """The settings in ``path``: a ``figcheck.toml``, or a ``pyproject.toml``'s ``[tool.figcheck]``."""
    path = Path(path)
    data = _parse(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("figcheck", {})
    return from_dict(data, path=path)


def from_dict(data: dict[str, Any], *, path: str | os.PathLike | None = None) -> Config:
    """Settings from a dict shaped like the file (``path`` names it in errors, anchors ``rules``)."""
    where = str(path) if path is not None else "settings"
    base = Path(path).resolve().parent if path is not None else Path(".")
    _no_unknown(data, _TOP_KEYS, where, "")

    rule_dirs = data.get("rules", [])
    if isinstance(rule_dirs, str):
        rule_dirs = [rule_dirs]
    if not isinstance(rule_dirs, list) or not all(isinstance(d, str) for d in rule_dirs):
        raise ConfigError(f"{where}: rules must be a list of folders")
    rule_dirs = tuple(str((base / d)) if not os.path.isabs(d) else d for d in rule_dirs)

    raw_tol = data.get("tolerances", {})
    _no_unknown(raw_tol, {"exact", "about", "nearly"}, where, "tolerances.")
    tolerances = Tolerances(**{k: _fraction(v, where, f"tolerances.{k}") for k, v in raw_tol.items()})

    quantities = data.get("quantities", {})
    _no_unknown(quantities, _QUANTITY_KEYS, where, "quantities.")
    names: dict[str, str] = {}
    for old, new in quantities.get("names", {}).items():
        _text(new, where, f"quantities.names.{old!r}")
        names[old] = new
    for new, olds in quantities.get("merge", {}).items():
        if isinstance(olds, str) or not isinstance(olds, list):
            raise ConfigError(f"{where}: quantities.merge.{new!r} must be a list of keys")
        for old in olds:
            _text(old, where, f"quantities.merge.{new!r}")
            if old in names and names[old] != new:
                raise ConfigError(f"{where}: {old!r} is given two names: {names[old]!r} and {new!r}")
            names[old] = new
    splits = []
    for i, raw in enumerate(quantities.get("split", [])):
        _no_unknown(raw, {"quantity", "when", "name"}, where, f"quantities.split[{i}].")
        for key in ("quantity", "when", "name"):
            _text(raw.get(key), where, f"quantities.split[{i}].{key}")
        try:
            regex.compile(raw["when"])
        except regex.error as exc:
            raise ConfigError(f"{where}: quantities.split[{i}].when is not a pattern: {exc}") from None
        splits.append(Split(raw["quantity"], raw["when"], raw["name"]))

    report = data.get("report", {})
    _no_unknown(report, _REPORT_KEYS, where, "report.")
    charts = report.get("charts", True)
    max_pairs = report.get("max_pairs", 20)
    if not isinstance(charts, bool):
        raise ConfigError(f"{where}: report.charts must be true or false")
    if not isinstance(max_pairs, int) or isinstance(max_pairs, bool) or max_pairs < 0:
        raise ConfigError(f"{where}: report.max_pairs must be a whole number >= 0")

    return Config(path=str(path) if path is not None else None, rule_dirs=rule_dirs,
                  tolerances=tolerances, names=tuple(sorted(names.items())),
                  splits=tuple(splits), charts=charts, max_pairs=max_pairs)


def _parse(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _no_unknown(table: Any, known: set[str], where: str, prefix: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {prefix.rstrip('.') or 'the settings'} must be a table")
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown setting {prefix}{unknown[0]} "
                          f"(known: {', '.join(prefix + k for k in sorted(known))})")


def _fraction(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigError(f"{where}: {key} must be a number from 0 to 1 (0.05 is 5 %)")
    return float(value)


def _text(value: Any, where: str, key: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key} must be a non-empty string")
