"""Dates in article text: ``On October 17``, ``said Friday``, ``earlier today`` -> a date.

This module owns ``rules/dates.toml``. It finds date mentions in a stretch of text,
resolves them against a publication date (year included), and infers publication dates
for articles that carry none.

>>> import datetime as dt
>>> finder = date_finder()
>>> [finder.resolve(m, dt.date(2024, 10, 22)) for m in finder.find("On October 17, he spoke.")]
[datetime.date(2024, 10, 17)]
>>> [finder.resolve(m, dt.date(2024, 10, 25)) for m in finder.find("Rutte said Tuesday that")]
[datetime.date(2024, 10, 22)]
>>> infer_published("Wednesday, February 8, 2023. The toll rose. It will end by March 1, 2023.")
datetime.date(2023, 2, 8)
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Iterable

import regex

from figcheck import rules
from figcheck.article import Article

#: A month and day without a year resolve to the year that puts them at most this many
#: days after publication (news reports the past; "on December 30" in a January article
#: is last year's).
_FUTURE_SLACK_DAYS = 14
#: How far a calendar date reaches around its day number ("Wednesday, February 8, 2023").
_DATE_REACH = 32
#: The ASCII digits as "0", every other byte as a space.
_DIGITS_AS_ZEROS = bytes(48 if chr(c).isdecimal() else 32 for c in range(128)) + b" " * 128
#: The ASCII bytes, deleted from UTF-8 to keep the other characters.
_ASCII_BYTES = bytes(range(128))


# Not frozen, though never changed once built: a frozen dataclass sets each field through
# object.__setattr__, which made a mention cost four times as much to build. Hashed as a
# frozen one would be.
@dataclass(slots=True, unsafe_hash=True)
class DateMention:
    start: int
    end: int
    rule_id: str
    month: int | None = None
    day: int | None = None
    year: int | None = None
    weekday: int | None = None
    days_back: int | None = None
    #: "by November 1", "as early as October 23", "would be used on October 27": not when
    #: a claim was made.
    deadline: bool = False


class DateFinder:
    def __init__(self, book: rules.RuleBook):
        values = book.table("dates", "values")
        self.months = {k.lower(): int(v) for k, v in values["month"].items()}
        self.weekdays = {k.lower(): int(v) for k, v in values["weekday"].items()}
        self.relative = {k.lower(): int(v) for k, v in values["relative_day"].items()}
        self.rules = {r.id: r for r in book.of("dates")}
        self._calendar = rules.compile(self.rules["DATE-CALENDAR"].pattern)
        self._weekday = rules.compile(self.rules["DATE-WEEKDAY"].pattern)
        self._relative = rules.compile(self.rules["DATE-RELATIVE"].pattern)
        self._same_day = rules.compile(self.rules["DATE-SAME-DAY"].pattern)
        self._deadline = rules.compile(
            r"(?ri)(?<![\w])(?:" + book.fragments["deadline_word"] + r")\s+(?:the\s+)?\Z")
        self._plan = rules.compile(r"(?i)(?<![\w])(?:" + book.fragments["plan_word"] + r")(?![\w])")
        self._report_verb = rules.compile(
            r"(?ri)(?<![\w])(?:" + book.fragments["report_verb"] + r")(?![\w])")
        self._parts = rules.compile(
            r"(?i)(?P<year>\b(?:1[89]\d\d|20\d\d)\b)|(?P<num>\d{1,2})|(?P<word>[^\W\d_]+)")
        self._iso = rules.compile(r"(\d{4})-(\d\d)-(\d\d)")
        # A year is read from four digits only, by _parts or _iso.
        self._four_digits = rules.compile(r"\d{4}")
        self.deadline_triggers = rules.Triggers(book.lists["deadline_word"])
        self.plan_triggers = rules.Triggers(book.lists["plan_word"])
        self.calendar_triggers = rules.Triggers(list(self.months) + ["0"])
        self.month_triggers = rules.Triggers(book.lists["month_name"])
        # A calendar date names its month as listed, capitalised: the verb "may" is no May.
        self._month_spellings: dict[str, list[str]] = {}
        for name in book.lists["month_name"]:
            self._month_spellings.setdefault(name.lower().rstrip("."), []).append(name)
        self._short_number = rules.compile(r"(?<![\w,.])\d{1,2}(?!\d|[,.]\d)")
        self.weekday_triggers = rules.Triggers(self.weekdays)
        self.relative_triggers = rules.Triggers(self.relative)
        self.same_day_triggers = rules.Triggers(book.lists["same_day"])
        # Most sentences name no day at all: one test of their words passes all three lists.
        self.day_word_triggers = rules.Triggers(
            list(self.weekdays) + list(self.relative) + book.lists["same_day"])
        self.heading = rules.compile(r"\A\s*(?:" + book.fragments["calendar_date"] + r")\s*\Z")

    def find(self, text: str, start: int = 0, end: int | None = None,
             sentence_start: int | None = None,
             words: frozenset[str] | None = None,
             day_numbers: list[int] | None = None) -> list[DateMention]:
        """Date mentions in ``text[start:end]``, in text order.

        ``words`` (from :func:`rules.words_of`) lets the finder skip patterns whose words
        the stretch does not contain; ``day_numbers``, the offsets of every number the
        caller already knows to be part of a calendar date, lets it read calendar dates
        around those numbers only instead of scanning the whole stretch.
        """
        end = len(text) if end is None else end
        if words is None:
            words = rules.words_of(text, start, end)
        clause_floor = start if sentence_start is None else sentence_start
        # The words of the stretch tell whether a deadline or plan word can stand before a
        # mention, if the clause looked in does not begin before the stretch.
        clause_words = words if clause_floor >= start else None
        found: list[DateMention] = []
        if day_numbers is not None:
            calendar = self._calendar_around(text, start, end, day_numbers)
        elif self.calendar_triggers.any_in(words) or self.iso_possible(text, start, end):
            calendar = self._calendar.finditer(text, start, end)
        else:
            calendar = ()
        for m in calendar:
            parts = self._calendar_parts(m.group())
            if parts is not None:
                at = m.start()
                found.append(DateMention(
                    at, m.end(), "DATE-CALENDAR", *parts,
                    deadline=self._is_deadline(text, at, clause_floor, clause_words)))
        if self.day_word_triggers.any_in(words):
            self._find_day_words(text, start, end, words, clause_floor, clause_words, found)
        if len(found) > 1:
            found.sort(key=_start_of)
        return found

    def _find_day_words(self, text: str, start: int, end: int, words: frozenset[str],
                        clause_floor: int, clause_words: frozenset[str] | None,
                        found: list[DateMention]) -> None:
        """Adds to ``found`` (the calendar dates) the weekdays, relative days and same-day
        phrases of ``text[start:end]``."""
        taken = [(d.start, d.end) for d in found]
        weekdays = self._weekday.finditer(text, start, end) \
            if self.weekday_triggers.any_in(words) else ()
        for m in weekdays:
            if any(s <= m.start() < e for s, e in taken):
                continue
            day = m.group().split()[-1].lower()
            found.append(DateMention(
                m.start(), m.end(), "DATE-WEEKDAY", weekday=self.weekdays[day],
                deadline=self._is_deadline(text, m.start(), clause_floor, clause_words)))
        relative = self._relative.finditer(text, start, end) \
            if self.relative_triggers.any_in(words) else ()
        for m in relative:
            key = " ".join(m.group().lower().split())
            found.append(DateMention(m.start(), m.end(), "DATE-RELATIVE", days_back=self.relative[key]))
        same_day = self._same_day.finditer(text, start, end) \
            if self.same_day_triggers.any_in(words) else ()
        for m in same_day:
            found.append(DateMention(m.start(), m.end(), "DATE-SAME-DAY"))

    def _calendar_around(self, text: str, start: int, end: int,
                         day_numbers: list[int]) -> list[regex.Match]:
        """The calendar dates of ``text[start:end]`` that hold one of ``day_numbers``, as
        the scan of each number's reach finds them."""
        calendar: list[regex.Match] = []
        for at in day_numbers:
            if not start <= at < end or calendar and any(
                    m.start() <= at < m.end() for m in calendar):
                continue
            stop = min(end, at + _DATE_REACH)
            m = self._calendar.search(text, max(start, at - _DATE_REACH), stop)
            # Of the reach's matches, the one that can hold the number is the first to end
            # after it: the matches after that one are not looked for.
            while m is not None and m.end() <= at:
                m = self._calendar.search(text, m.end(), stop)
            if m is not None and m.start() <= at:
                calendar.append(m)
        return calendar

    def day_candidates(self, text: str, start: int, end: int, words: frozenset[str]) -> list[int]:
        """The offsets of the numbers in ``text[start:end]`` that may be the day of a calendar
        date (one or two digits), when the stretch names a month; else none."""
        months = self.month_triggers.present(words)
        if not months:
            return []
        stretch = text[start:end]  # ("in" passes its argument faster than find its three)
        if not any(name in stretch for month in months for name in self._month_spellings[month]):
            return []
        return [m.start() for m in self._short_number.finditer(text, start, end)]

    def year_possible(self, text: str, start: int, end: int) -> bool:
        """Whether a date in ``text[start:end]`` may name its year (``resolve`` dates no
        other without a publication date or a date before it)."""
        stretch = text[start:end]
        if not stretch.isascii():
            wide = stretch.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode(
                "utf-8", "surrogatepass")
            if any(map(str.isdecimal, wide)):
                return self._four_digits.search(text, start, end) is not None
        # Without digits beyond ASCII: as bytes, the digits as "0", all else (a character
        # beyond ASCII a "?") as spaces, and "0000" looked for, a few C calls where the
        # pattern tries each place in turn. A test compares the two.
        return b"0000" in stretch.encode("ascii", "replace").translate(_DIGITS_AS_ZEROS)

    def iso_possible(self, text: str, start: int, end: int) -> bool:
        return text.find("-", start, end) >= 0 and self._iso.search(text, start, end) is not None

    def _calendar_parts(self, mention: str) -> tuple[int, int, int | None] | None:
        """The month, day and year (None if not named) of a calendar date's text; None if
        it names no valid day of a month."""
        # Only ten characters with dashes at 4 and 7 can be an ISO date.
        iso = self._iso.fullmatch(mention) \
            if len(mention) == 10 and mention[4] == "-" and mention[7] == "-" else None
        if iso:
            year, month, day = map(int, iso.groups())
            return month, day, year
        month = day = year = None
        # One call gives every part as the text of the group it matched.
        for year_part, number, word in self._parts.findall(mention):
            if year_part:
                if day is not None:
                    year = int(year_part)
            elif number:
                if day is None:
                    day = int(number)
            elif month is None:
                month = self.months.get(word.lower())
        if month is None or day is None or not 1 <= day <= 31:
            return None
        return month, day, year

    def _is_deadline(self, text: str, at: int, floor: int,
                     words: frozenset[str] | None = None) -> bool:
        """Whether deadline or plan words stand before the mention at ``at`` in its clause
        (``words``: the clause's words, when known, skip the patterns whose words are
        missing)."""
        deadline_possible = words is None or self.deadline_triggers.any_in(words)
        plan_possible = words is None or self.plan_triggers.any_in(words)
        if not (deadline_possible or plan_possible):
            return False
        # Plans and deadlines are read in the mention's own sentence only. A sentence end
        # before ``floor`` would not move it, so the search stops there.
        floor = max(floor, text.rfind(".", floor, at) + 1, text.rfind("!", floor, at) + 1,
                    text.rfind("?", floor, at) + 1, text.rfind("\n", floor, at) + 1)
        if deadline_possible and self._deadline.match(text, max(floor, at - 30), at):
            return True
        if plan_possible:
            # A plan word reported before "said" is the statement's ("will compete, the
            # organisers said on Thursday"): plans are read after the last such verb.
            report = self._report_verb.search(text, floor, at)
            if self._plan.search(text, report.end() if report else floor, at):
                return True
        return False

    def resolve(self, mention: DateMention, published: dt.date | None,
                previous: dt.date | None = None) -> dt.date | None:
        """The calendar date a mention names, given the publication date."""
        if mention.rule_id == "DATE-SAME-DAY":
            return previous
        if mention.year is not None and mention.month and mention.day:
            return _safe_date(mention.year, mention.month, mention.day)
        if published is None:
            return None
        if mention.days_back is not None:
            return published - dt.timedelta(days=mention.days_back)
        if mention.weekday is not None:
            back = (published.weekday() - mention.weekday) % 7
            return published - dt.timedelta(days=back)
        if mention.month and mention.day:
            for year in (published.year + 1, published.year, published.year - 1):
                candidate = _safe_date(year, mention.month, mention.day)
                if candidate and candidate <= published + dt.timedelta(days=_FUTURE_SLACK_DAYS):
                    return candidate
        return None

    def is_heading(self, line: str) -> bool:
        """A line that is nothing but a date (a live blog's day heading)."""
        return bool(self.heading.match(line))


_start_of = attrgetter("start")


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=1)
def date_finder() -> DateFinder:
    return DateFinder(rules.load())


_YEAR = rules.compile(r"(?<![\w.,])(?:1[89]\d\d|20\d\d)(?![\w])")


def infer_published(text: str) -> dt.date | None:
    """The latest explicit calendar date the text mentions that is not a plan or deadline.

    Month-and-day mentions take the latest year the text names; without any year the
    article's date cannot be told from its own text (see :func:`fill_missing_dates`).
    """
    finder = date_finder()
    mentions = [m for m in finder.find(text) if m.rule_id == "DATE-CALENDAR" and not m.deadline]
    if not mentions:
        return None
    years = [int(y.group()) for y in _YEAR.finditer(text)]
    latest_year = max(years) if years else None
    dates = []
    for m in mentions:
        year = m.year or latest_year
        if year is not None:
            date = _safe_date(year, m.month, m.day)
            if date:
                dates.append(date)
    return max(dates) if dates else None


def most_common_year(years: Counter) -> int:
    """The year most articles are dated in; among equals the latest, so that the order in
    which the batch was read cannot change it."""
    return max(years.items(), key=lambda item: (item[1], item[0]))[0]


def fill_missing_dates(articles: Iterable[Article]) -> None:
    """Give a date to articles that name days but no year, from the rest of the batch.

    The year is that of the dated article nearest in day of the year to the article's
    latest mentioned day (ties to the more common year, see :func:`most_common_year`); the
    date is marked inferred.
    """
    articles = list(articles)
    years = Counter(a.published.year for a in articles if a.published is not None)
    if not years:
        return
    # Distinct dates only: a batch has many articles but few publication days.
    dated = sorted({a.published for a in articles if a.published is not None})
    finder = date_finder()
    common_year = most_common_year(years)
    nearest_for: dict[tuple[int, int], dt.date] = {}
    for article in articles:
        if article.published is not None:
            continue
        mentions = [m for m in finder.find(article.body)
                    if m.rule_id == "DATE-CALENDAR" and not m.deadline and m.month and m.day]
        if not mentions:
            continue
        candidates = []
        for m in mentions:
            key = (m.month, m.day)
            if key not in nearest_for:
                def distance(d: dt.date) -> int:
                    other = _safe_date(d.year, m.month, m.day) or d
                    return abs((other - d).days)
                nearest_for[key] = min(dated, key=lambda d: (distance(d), d.year != common_year, d))
            date = _safe_date(nearest_for[key].year, m.month, m.day)
            if date:
                candidates.append(date)
        if candidates:
            article.published = max(candidates)
            article.published_inferred = True
