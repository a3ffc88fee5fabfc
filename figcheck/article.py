"""The article model shared by the readers and the extractor."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Article:
    """One article of a batch.

    ``text`` is the whole text the offsets of the claims table refer to (for a ``.txt``
    file, the file's content with its header lines); extraction starts at ``body_start``,
    after the ``date`` prefix and the ``source:``/``url:``/``title:`` header lines.
    """

    doc: str
    text: str
    body_start: int = 0
    source: str | None = None
    url: str | None = None
    title: str | None = None
    published: dt.date | None = None
    published_inferred: bool = False
    path: str | None = None

    @property
    def body(self) -> str:
        return self.text[self.body_start:]


@dataclass(frozen=True)
class Skipped:
    """A file or record that could not be read, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class Batch:
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
