"""Compiled patterns kept from one run to the next, beside figcheck's bytecode.

``regex`` parses a pattern in Python: the engine's hundred patterns take 0.15-0.2 s to
compile, a sixth of a ``figcheck check`` that finds 20 new articles in a cached batch.
A compiled pattern pickles with its compiled code, and unpickling one skips the parse,
so the patterns a run compiles are kept, pickled, where Python keeps the package's own
compiled modules: ``figcheck/__pycache__/``, or the package's path under
``PYTHONPYCACHEPREFIX`` when that is set. Whoever can write there can already change
figcheck's code, so the file is trusted as its bytecode is, and even so it may only build
compiled patterns. Nothing of an article batch or of a cache file (which may come from a
repository) is ever unpickled.

The file is named after the versions that decide the compiled code (``regex``'s, its
default syntax version, and the interpreter's), and a pattern is found by its source and
flags, so a pattern compiled under anything else is never used. An unreadable or foreign
file is ignored, and a folder that cannot be written (a read-only install) only means
that every run compiles its patterns, as before.
"""
from __future__ import annotations

import os
import pickle
import sys
import tempfile
import threading
from pathlib import Path

import regex

#: Past this many patterns the file keeps only those of the run that writes it (each
#: folder of a user's own rules makes patterns of its own).
MAX_PATTERNS = 2000

_Key = tuple[str, int]


def default_folder() -> Path:
    """Where Python keeps the package's bytecode: its ``__pycache__``, or under
    ``sys.pycache_prefix`` (``PYTHONPYCACHEPREFIX``) the package's path, as there."""
    package = Path(__file__).resolve().parent
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix, *package.parts[1:])
    return package / "__pycache__"


def _file_name() -> str:
    return (f"patterns.regex-{regex.__version__}-v{int(regex.DEFAULT_VERSION)}."
            f"{sys.implementation.cache_tag}.pickle")


class PatternStore:
    """The compiled patterns of a folder's file, and those compiled since it was read."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.path = Path(folder or default_folder()) / _file_name()
        self._kept: dict[_Key, regex.Pattern] | None = None  # read at the first compile
        self._used: set[_Key] = set()
        self._new = 0
        self._lock = threading.Lock()

    def compile(self, source: str, flags: int = 0) -> regex.Pattern:
        """``regex.compile(source, flags)``, from the file when it holds the pattern."""
        key = (source, int(flags))
        kept = self._kept if self._kept is not None else self._read()
        compiled = kept.get(key)
        if compiled is None:
            compiled = regex.compile(source, flags)
            with self._lock:
                if key not in kept:
                    kept[key] = compiled
                    self._new += 1
        self._used.add(key)
        return compiled

    def save(self) -> bool:
        """Write the file when this run compiled patterns it did not hold; whether written.

        The file is replaced at once (written aside, then renamed), so a run reading it
        while another writes sees the old file or the new one, whole.
        """
        if not self._new:
            return False
        with self._lock:
            kept = dict(self._kept or {})
            self._new = 0
        if len(kept) > MAX_PATTERNS:
            kept = {key: compiled for key, compiled in kept.items() if key in self._used}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".patterns-")
            try:
                with os.fdopen(handle, "wb") as out:
                    pickle.dump(kept, out, protocol=pickle.HIGHEST_PROTOCOL)
                # (the mode of figcheck's own files, as Python gives its bytecode)
                os.chmod(temporary, os.stat(__file__).st_mode & 0o666)
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            # (a read-only install, or a pattern object that is not regex's own: the next
            # run compiles them again)
            return False
        return True

    def _read(self) -> dict[_Key, regex.Pattern]:
        kept: dict[_Key, regex.Pattern] = {}
        try:
            with open(self.path, "rb") as handle:
                loaded = _PatternUnpickler(handle).load()
        except FileNotFoundError:
            loaded = {}
        except Exception:  # noqa: BLE001  (a file cut short, or from an older figcheck)
            loaded = {}
        if isinstance(loaded, dict):
            kept = {key: compiled for key, compiled in loaded.items()
                    if isinstance(key, tuple) and len(key) == 2
                    and isinstance(compiled, regex.Pattern) and compiled.pattern == key[0]}
        with self._lock:
            if self._kept is None:
                self._kept = kept
            return self._kept


class _PatternUnpickler(pickle.Unpickler):
    """Builds compiled patterns and plain data, nothing else, whatever the file says."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("regex._regex", "compile"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"not a compiled pattern: {module}.{name}")


#: The store the engine's patterns are compiled through.
store = PatternStore()
