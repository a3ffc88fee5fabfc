"""Compiled patterns kept from one run to the next, beside figcheck's bytecode.

``regex`` parses a pattern in Python: the engine's hundred patterns take 0.15-0.2 s to
compile, a sixth of a ``figcheck check`` that finds 20 new articles in a cached batch.
A compiled pattern pickles with its compiled code, and unpickling one skips the parse,
so the patterns a run compiles are kept, pickled, where Python keeps the package's own
compiled modules: ``figcheck/__pycache__/``, or the package's path under
``PYTHONPYCACHEPREFIX`` when that is set.

What guards the file: the folder's permissions, as for the bytecode beside it (whoever can
write there can change figcheck's code anyway). A compiled pattern's code goes to
``regex``'s C engine as it is, and code it did not make can crash the process, so the file
is sealed: a SHA-256 of its content and of the build of ``regex`` that wrote it (version,
and size and time of its compiled extension). A file cut short, a bit flipped on disk or a
file of another build is ignored, and its unpickler builds nothing but compiled patterns.
Nothing of an article batch or of a cache file (which may come from a repository) is ever
unpickled.

A pattern is found by its source, flags and ``regex``'s default syntax version, so a
pattern compiled otherwise is never used. A folder that cannot be written (a read-only
install) only means that every run compiles its patterns, as before. The file is written
whatever ``PYTHONDONTWRITEBYTECODE`` says: it is figcheck's, not Python's.

The rule files are kept there parsed too (:class:`ParsedRuleFiles`): ``tomllib``, pure
Python, takes 30 ms to parse the package's, three quarters of loading the rules and a
thirtieth of such a check. They are kept as JSON, by the SHA-256 of each file's bytes, so
an edited file is parsed anew; JSON holds plain data only, so reading it builds nothing
else (no seal is needed).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sys
import tempfile
import threading
import tomllib
import weakref
from pathlib import Path

import regex
from regex import _regex as _regex_extension

#: Past this many patterns the file keeps only those of the run that writes it (each
#: folder of a user's own rules makes patterns of its own).
MAX_PATTERNS = 2000

_MAGIC = b"figcheck compiled patterns 1\n"

#: (source, flags, regex's default syntax version when compiled): the version decides how
#: a pattern without a version flag of its own is compiled, and a program may change it.
_Key = tuple[str, int, int]


def default_folder() -> Path:
    """Where Python keeps the package's bytecode: its ``__pycache__``, or under
    ``sys.pycache_prefix`` (``PYTHONPYCACHEPREFIX``) the package's path, as there."""
    package = Path(__file__).resolve().parent
    if sys.pycache_prefix:
        return Path(sys.pycache_prefix, *package.parts[1:])
    return package / "__pycache__"


def _file_name() -> str:
    return f"patterns.regex-{regex.__version__}.{sys.implementation.cache_tag}.pickle"


def _build() -> bytes:
    """What tells this build of ``regex`` from another: its version, and the size and time
    of its compiled extension (a ``regex`` rebuilt from source may keep its version)."""
    try:
        info = os.stat(_regex_extension.__file__)
        extension = f"{info.st_size}:{info.st_mtime_ns}"
    except (AttributeError, OSError):
        extension = "?"
    return f"{regex.__version__}|{extension}|{sys.implementation.cache_tag}\n".encode()


def _seal(payload: bytes) -> bytes:
    return _MAGIC + hashlib.sha256(_build() + payload).digest() + payload


def _unseal(data: bytes) -> bytes | None:
    """The payload of a file this build of regex and figcheck wrote, whole; else None.

    A compiled pattern's code goes to ``regex``'s C engine as it is, and code it did not
    make can crash the process: a bit flipped on disk, or a file of another build of
    ``regex``, must not reach it.
    """
    seal = len(_MAGIC) + hashlib.sha256().digest_size
    if not data.startswith(_MAGIC) or len(data) < seal:
        return None
    payload = data[seal:]
    if hashlib.sha256(_build() + payload).digest() != data[len(_MAGIC):seal]:
        return None
    return payload


_STORES: "weakref.WeakSet[PatternStore | ParsedRuleFiles]" = weakref.WeakSet()


class PatternStore:
    """The compiled patterns of a folder's file, and those compiled since it was read."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.path = Path(folder or default_folder()) / _file_name()
        self._kept: dict[_Key, regex.Pattern] | None = None  # read at the first compile
        self._used: set[_Key] = set()
        self._new = 0
        self._lock = threading.Lock()
        _STORES.add(self)

    def compile(self, source: str, flags: int = 0) -> regex.Pattern:
        """``regex.compile(source, flags)``, from the file when it holds the pattern."""
        key = (source, int(flags), int(regex.DEFAULT_VERSION))
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
        while another writes sees the old file or the new one, whole. A write that fails
        is tried again at the next save.
        """
        if not self._new:
            return False
        with self._lock:
            kept = dict(self._kept or {})
            new = self._new
        if len(kept) > MAX_PATTERNS:
            kept = {key: compiled for key, compiled in kept.items() if key in self._used}
        try:
            _replace(self.path, _seal(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)))
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            # (a read-only install, or a pattern object that is not regex's own: the next
            # run compiles them again)
            return False
        with self._lock:
            self._new -= new
        return True

    def _read(self) -> dict[_Key, regex.Pattern]:
        kept: dict[_Key, regex.Pattern] = {}
        try:
            with open(self.path, "rb") as handle:
                payload = _unseal(handle.read())
            loaded = _PatternUnpickler.loads(payload) if payload is not None else {}
        except FileNotFoundError:
            loaded = {}
        except Exception:  # noqa: BLE001  (a file this build wrote, yet unreadable: ignored)
            loaded = {}
        if isinstance(loaded, dict):
            kept = {key: compiled for key, compiled in loaded.items()
                    if type(key) is tuple and len(key) == 3 and type(key[0]) is str
                    and type(key[1]) is int and type(key[2]) is int
                    and isinstance(compiled, regex.Pattern) and compiled.pattern == key[0]}
        with self._lock:
            if self._kept is None:
                self._kept = kept
            return self._kept

    def _forked(self) -> None:
        # A child of fork: the lock may have been held by a thread that is not in the
        # child, and what the parent compiled is the parent's to save.
        self._lock = threading.Lock()
        self._new = 0


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` at once (aside, then renamed): a run reading it while another writes
    sees the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".kept-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        # (the mode of figcheck's own files, as Python gives its bytecode)
        os.chmod(temporary, os.stat(__file__).st_mode & 0o666)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class ParsedRuleFiles:
    """Rule files parsed by ``tomllib``, kept in a JSON file by the SHA-256 of their bytes.

    :meth:`parse` gives what ``tomllib.loads`` gives, a fresh copy each call (a caller may
    change it). A file whose parse is not plain JSON data (a TOML date) is parsed each time.
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.path = Path(folder or default_folder()) / "rules.json"
        self._kept: dict[str, str] | None = None  # SHA-256 -> the parse as JSON text
        self._used: set[str] = set()
        self._new = False
        self._lock = threading.Lock()
        _STORES.add(self)

    def parse(self, data: bytes) -> dict:
        """``tomllib.loads(data.decode("utf-8"))``; its errors as it raises them."""
        key = hashlib.sha256(data).hexdigest()
        kept = self._kept if self._kept is not None else self._read()
        self._used.add(key)
        text = kept.get(key)
        if text is not None:
            return json.loads(text)
        parsed = tomllib.loads(data.decode("utf-8"))
        try:
            text = json.dumps(parsed, ensure_ascii=False)
        except (TypeError, ValueError):
            return parsed
        if json.loads(text) == parsed:  # (NaN is not equal to itself: not kept)
            with self._lock:
                kept[key] = text
                self._new = True
        return parsed

    def save(self) -> bool:
        """Write the file when this run parsed files it did not hold, with only the files
        this run read (an edited file's old parse goes); whether written."""
        with self._lock:
            if not self._new:
                return False
            kept = {key: text for key, text in (self._kept or {}).items() if key in self._used}
        try:
            _replace(self.path, json.dumps(kept, ensure_ascii=False, sort_keys=True).encode())
        except OSError:
            return False  # (a read-only install: the next run parses them again)
        with self._lock:
            self._new = False
        return True

    def _read(self) -> dict[str, str]:
        try:
            loaded = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            loaded = {}
        kept = {key: text for key, text in loaded.items()
                if type(key) is str and type(text) is str} if isinstance(loaded, dict) else {}
        with self._lock:
            if self._kept is None:
                self._kept = kept
            return self._kept

    def _forked(self) -> None:
        self._lock = threading.Lock()
        self._new = False


def _after_fork_in_child() -> None:
    for pattern_store in list(_STORES):
        pattern_store._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _PatternUnpickler(pickle.Unpickler):
    """Builds compiled patterns and plain data, nothing else, whatever the file says (a
    second guard: the seal is what keeps code ``regex`` did not make from its engine)."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("regex._regex", "compile"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"not a compiled pattern: {module}.{name}")

    @classmethod
    def loads(cls, payload: bytes):
        return cls(io.BytesIO(payload)).load()


#: The store the engine's patterns are compiled through.
store = PatternStore()
#: The store the rule files are parsed through.
rule_files = ParsedRuleFiles()
