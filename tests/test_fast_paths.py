"""Shortcuts the extractor takes for speed give exactly what the plain way gives.

Each test writes the plain way out (one search per word, every phrase tried, every
currency mark tried) and checks the shortcut against it on generated text.
"""
from __future__ import annotations

import signal
import sys

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from figcheck import claims, limits, numbers, rules

ENGINE = claims.engine()
GRAMMAR = ENGINE.grammar
#: Pieces of number words, whole ones, and what borders them: letters, digits, marks, and
#: characters beyond ASCII (an Arabic-Indic digit, the Kelvin sign). Not the dotted capital I:
#: it lowers to two characters, and the plain way below would shift its offsets.
PIECES = ["six", "sixty", "teen", "ten", "eight", "y", "one", "thousand", "Four", "s",
          " ", "-", "_", "7", ",", "\n", "\u00e9", "\u0301", "$", "US", "D", "\u20ac", "\u00a0",
          "\u0663", "\u212a", "?"]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


def _words_one_search_each(text: str, start: int, end: int) -> list[int]:
    """Where a number word stands whole, each word searched for on its own."""
    lowered = text.lower()
    found = []
    for word in GRAMMAR.candidate_words:
        at = lowered.find(word, start, end)
        while at >= 0:
            stop = at + len(word)
            if (at == 0 or not lowered[at - 1].isalnum()) and (
                    stop >= len(lowered) or not lowered[stop].isalnum()):
                found.append(at)
            at = lowered.find(word, stop, end)
    return found


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(text=texts, data=st.data())
def test_candidates_find_each_number_word_a_search_per_word_finds(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    digits = [at for at, _end, _group in GRAMMAR._digit_run.scan(text, start, end)]
    expected = sorted(digits + _words_one_search_each(text, start, end))
    assert GRAMMAR.candidates(text, start, end) == expected


def test_a_number_word_inside_a_longer_one_is_no_candidate():
    text = "Sixteen, sixty and six; sixtyish, eighteen"
    starts = GRAMMAR.candidates(text)
    assert [text[at:at + 5] for at in starts] == ["Sixte", "sixty", "six; ", "eight"]


#: Phrases filed under the same longest word ("more": "no more than", "more or less").
PHRASES = ["more than", "no more than", "more or less", "at least", "up to", "as many as",
           "said", "nearly", "more"]


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(words=st.frozensets(st.sampled_from(
    ["more", "than", "no", "or", "at", "least", "up", "to", "as", "many", "said", "nearly",
     "less"])), data=st.data())
def test_triggers_agree_with_trying_every_phrase(words, data):
    phrases = data.draw(st.lists(st.sampled_from(PHRASES), min_size=1, unique=True))
    gate = rules.Triggers(phrases)
    every_phrase = any(frozenset(phrase.split()) <= words for phrase in phrases)
    assert gate.any_in(words) == every_phrase


def _currency_every_mark(text: str, pos: int):
    window = text[max(0, pos - 4):pos]
    spaced = window[-1:] in numbers._SPACES
    # Every mark, longest first; one that starts with a letter may stand a space before.
    for mark in sorted(GRAMMAR.currencies, key=len, reverse=True):
        if mark[:1].isalpha() and spaced and window.endswith(mark, 0, len(window) - 1):
            return mark, pos - len(mark) - 1
        if window.endswith(mark):
            return mark, pos - len(mark)
    return None


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(text=texts, data=st.data())
def test_currency_mark_found_as_trying_every_mark_finds_it(text, data):
    pos = data.draw(st.integers(0, len(text)))
    assert GRAMMAR._currency_before(text, pos) == _currency_every_mark(text, pos)


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(before=texts, mark=st.sampled_from(sorted(GRAMMAR.currencies)),
       gap=st.sampled_from(["", " ", "\u00a0", "  ", "\x1c", "x"]))
def test_currency_mark_right_before_a_figure_found_as_trying_every_mark_finds_it(before, mark, gap):
    text = before + mark + gap + "7"
    pos = len(text) - 1
    assert GRAMMAR._currency_before(text, pos) == _currency_every_mark(text, pos)


WORDY = ["Korea", "'s", "said", ",", " ", "tae", "-", "yong", "11", "000", ".", "\u201c",
         "\u00c9tat", "e\u0301", "_x", "%", "(", ")", "\u2014", "7", "day", "\n", "\u0130"]


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(WORDY + ["said", "ab1", "__", "\u00e9"]), max_size=10).map("".join),
       data=st.data())
def test_last_word_is_what_the_reverse_pattern_finds(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    found = ENGINE._word_before.search(text, start, end)
    assert ENGINE._last_word(text, start, end) == (found.group(1) if found else None)


SPEAKER_WORDS = sorted({word for alias in ENGINE.speaker_of for word in alias.split()})[:40] \
    + ["Post", "the", "of", "U.S.", "He", "It", "They", "report", "x"] \
    + sorted(ENGINE.book.lists["speech_verb"]) + sorted(ENGINE.book.lists["verb_prefix"])
JOINERS = [" ", "  ", "\u2019s ", "'", "-", ", ", ". ", "\n", ""]
phrases = st.lists(st.tuples(st.sampled_from(SPEAKER_WORDS), st.sampled_from(JOINERS)),
                   max_size=6).map(lambda parts: "".join(w + j for w, j in parts))


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(phrase=phrases)
def test_a_pronoun_speaker_is_never_found_without_a_speech_verb(phrase):
    if ENGINE._anaphoric_speaker.search(phrase):
        assert ENGINE.speech_triggers.any_in(rules.words_of(phrase)), phrase


CLAUSE_WORDS = ["will", "set", "to", "by", "no", "later", "than", "the", "troops", "left",
                "Scheduled", "until", "arrive", "on", "said", "due", ",", "."]


@settings(max_examples=500, deadline=None, database=None, derandomize=True)
@given(words=st.lists(st.sampled_from(CLAUSE_WORDS), max_size=8),
       date=st.sampled_from(["October 5", "5 October", "Tuesday", "2024-10-05"]))
def test_a_deadline_is_read_the_same_with_the_clause_words_as_without(words, date):
    text = " ".join(words + [date]) + "."
    finder = ENGINE.dates
    start = text.rindex(date)
    assert finder._is_deadline(text, start, 0, rules.words_of(text)) == \
        finder._is_deadline(text, start, 0, None)


def test_a_deadline_word_before_the_stretch_still_counts_when_the_clause_starts_earlier():
    text = "Troops stay until October 5."
    start = text.index("October")
    found = ENGINE.dates.find(text, start, len(text), sentence_start=0)
    assert [(text[m.start:m.end], m.deadline) for m in found] == [("October 5", True)]


@settings(max_examples=500, deadline=None, database=None, derandomize=True)
@given(words=st.lists(st.sampled_from(CLAUSE_WORDS + ["!", "?", "\n", "Aid."]), max_size=10),
       data=st.data())
def test_a_deadline_is_read_in_the_mention_s_sentence_whatever_the_floor(words, data):
    text = " ".join(words + ["October 5"]) + "."
    start = text.rindex("October 5")
    floor = data.draw(st.integers(0, len(text)))
    # The sentence's floor as the whole text gives it: every end mark searched from 0.
    sentence_floor = max(floor, max(text.rfind(ch, 0, start) for ch in ".!?\n") + 1)
    expected = ENGINE.dates._is_deadline(text, start, sentence_floor, None)
    assert ENGINE.dates._is_deadline(text, start, floor, None) == expected


#: Pieces of dates with and without their year, and what stands around them.
DATE_PIECES = ["October", "Oct.", "5", "17", "2024", "1999", "2024-10-05", "10-05", "12000",
               "Tuesday", "today", "that day", "on", ",", " ", "-", "\u0662\u0660\u0662\u0664"]


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(pieces=st.lists(st.sampled_from(DATE_PIECES), max_size=10))
def test_an_undated_sentence_without_a_year_is_dated_by_no_mention(pieces):
    text = " ".join(pieces)
    finder = ENGINE.dates
    resolved = [finder.resolve(m, None, None) for m in finder.find(text, sentence_start=0)]
    if not finder.year_possible(text, 0, len(text)):
        assert resolved == [None] * len(resolved), text


#: The context sets the engine tries in one call, with the rules they come from.
CONTEXTS = [(ENGINE._exclusion_before, ENGINE.exclusions), (ENGINE._exclusion_after, ENGINE.exclusions),
            (ENGINE._qualifier_after, ENGINE.qualifiers)]
#: Words of those rules' own examples and counterexamples, with digits and marks between
#: them, so that contexts hold at some places and not at others.
CONTEXT_PIECES = sorted({word for _contexts, owners in CONTEXTS for rule in owners
                         for example in [*rule.examples, *rule.counterexamples]
                         for word in example.split()} | {" ", "1", "2024", "-", "%", "/", ":"})


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(words=st.lists(st.sampled_from(CONTEXT_PIECES), max_size=10), data=st.data())
def test_contexts_are_those_every_group_finds(words, data):
    text = " ".join(words)
    pos = data.draw(st.integers(0, len(text)))
    for contexts, _owners in CONTEXTS:
        assert contexts.at(text, pos) == contexts.groups.match(text, pos).groups()


#: The groups each kind of number (in digits, in words) reads, from the engine's checks.
GROUPS_READ = {words: ({check[1] for applies, check in ENGINE._exclusion_checks
                        if not (applies[0] and words) and not (applies[1] and not words)} - {None},
                       {check[2] for applies, check in ENGINE._exclusion_checks
                        if not (applies[0] and words) and not (applies[1] and not words)} - {None})
               for words in (False, True)}


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(words=st.lists(st.sampled_from(CONTEXT_PIECES), max_size=10), data=st.data())
def test_contexts_a_kind_of_number_reads_are_those_every_group_finds(words, data):
    text = " ".join(words)
    pos = data.draw(st.integers(0, len(text)))
    every_before = ENGINE._exclusion_before.groups.match(text, pos).groups()
    every_after = ENGINE._exclusion_after.groups.match(text, pos).groups()
    for in_words, (before_gate, after_gate) in ENGINE._exclusion_gates.items():
        before_read, after_read = GROUPS_READ[in_words]
        before = ENGINE._exclusion_before.at(text, pos, before_gate)
        after = ENGINE._exclusion_after.at(text, pos, after_gate)
        assert [before[g - 1] for g in sorted(before_read)] == [every_before[g - 1] for g in sorted(before_read)]
        assert [after[g - 1] for g in sorted(after_read)] == [every_after[g - 1] for g in sorted(after_read)]


def test_numbers_in_words_read_fewer_contexts():
    # The shortcut must leave some contexts out for numbers in words, or it saves nothing.
    before_gate, after_gate = ENGINE._exclusion_gates[True]
    assert len(before_gate.pattern) < len(ENGINE._exclusion_before.any.pattern)
    assert len(after_gate.pattern) < len(ENGINE._exclusion_after.any.pattern)


@pytest.mark.parametrize("which, at_least", [(0, 20), (1, 20), (2, 1)],
                         ids=["exclusion before", "exclusion after", "qualifier after"])
def test_contexts_hold_in_the_rules_own_examples(which, at_least):
    # The shortcut must not always say "none": some example places meet a context.
    contexts, owners = CONTEXTS[which]
    held = 0
    for rule in owners:
        for example in rule.examples:
            for pos in range(len(example) + 1):
                found = contexts.at(example, pos)
                assert found == contexts.groups.match(example, pos).groups()
                held += found is not contexts.none
    assert held >= at_least


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(line=st.text(alphabet=st.sampled_from(list("ab 7,0.-") + ["\u00b2", "\u0663", "\u00e9"]),
                    max_size=20))
def test_a_line_has_a_digit_when_one_of_its_characters_is_one(line):
    assert claims._has_digit(line) == any(ch.isdigit() for ch in line)


#: Pieces of the words after a figure: plain words, joined ones, numbers, marks, spaces
#: of both kinds, and characters that are not ASCII (left to the pattern).
PHRASE_PIECES = ["soldiers", "F", "-", "16", "U", ".", "S", "'", "s", ",", "3", "000", " ",
                 "(", ")", "_", "\t", "\n", "\x1c", "\u2019", "\u2013", "\u00e9", "Gen", "$"]


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(PHRASE_PIECES), max_size=20).map("".join), data=st.data())
def test_phrase_words_read_with_string_methods_are_the_pattern_s_tokens(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    limit = data.draw(st.sampled_from([1, 2, 10]))
    reader = ENGINE._np_word
    by_pattern = [(text[a:b], a, b) for a, b, _group in reader.pattern.scan(text, start, end, limit)]
    assert reader.read(text, start, end, limit) == by_pattern


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(PIECES + ["2,500", "1.5", "\u00bd", "%", "'"]), max_size=30)
       .map("".join), data=st.data())
def test_tokens_ahead_of_a_figure_are_those_the_token_scan_finds(text, data):
    pos = data.draw(st.integers(0, len(text)))
    expected = [(kind, text[start:end], start, end) for start, end, kind in numbers._TOKEN.scan(
        text, pos, min(len(text), pos + numbers._WINDOW), numbers._MAX_TOKENS)]
    assert [(t.kind, t.text, t.start, t.end) for t in numbers._tokens_ahead(text, pos)] == expected


#: Pieces of sentences: words, numbers, ASCII marks, the wide marks of rules._PUNCTUATION,
#: and characters that keep text from the fast path (letters beyond ASCII, a combining
#: mark, the long s, the dotted capital I) or that lower-case to ASCII (the Kelvin sign).
SENTENCE_PIECES = ["Korea", "s", "said", "UNTIL", "11", ",", "000", " ", "  ", "\t", "\n", "\x1c",
                   "'", ".", "-", "_", "(", ")", "%", "$", "\u2019", "\u201c", "\u201d", "\u2014",
                   "\u2013", "\u2026", "\u00e9", "e\u0301", "\u0301", "\u017f", "\u0130",
                   "\u212a", "\u00b2", "\u0663", "\u00a0"]


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(SENTENCE_PIECES), max_size=16).map("".join), data=st.data())
def test_words_of_are_those_read_token_by_token(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert rules.words_of(text, start, end) == rules._words_token_by_token(text[start:end].lower())


#: The speaker aliases, and the words they are made of in three capitalisations, with what
#: may stand between words: a speaker phrase is looked up in such text.
ALIAS_WORDS = sorted({piece for alias in ENGINE.speaker_of for word in alias.split()
                      for piece in (word, word.lower(), word.upper())})
ALIAS_JOINERS = [" ", "'s ", "\u2019s ", "-", ", ", ".", "_", "", "7 ", "(", ") "]
ALIAS_ANY_CASE = [a for a in ENGINE.speaker_of if len(a.split()) > 1 and any(c.islower() for c in a)]
ALIAS_ALTERNATION = rules.compile(
    r"(?<![\w])(?:" + rules.list_alternation(ENGINE.speaker_of, ALIAS_ANY_CASE) + r")(?![\w])")


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(parts=st.lists(st.tuples(
    st.one_of(st.sampled_from(ALIAS_WORDS), st.sampled_from(sorted(ENGINE.speaker_of))),
    st.sampled_from([str, str.lower, str.upper, str.title]),
    st.sampled_from(ALIAS_JOINERS)), max_size=6))
def test_speaker_aliases_found_as_the_alternation_finds_them(parts):
    text = " ".join("".join(case(words) + joiner for words, case, joiner in parts).split())
    expected = [(m.start(), m.end()) for m in ALIAS_ALTERNATION.finditer(text)]
    assert [(hit.start(), hit.end()) for hit in ENGINE._speaker_alias.find_all(text)] == expected, text


def _is_initial_letter_by_letter(word: str) -> bool:
    stripped = word.strip("\"'(\u201c")
    return len(stripped) >= 2 and all(
        (ch.isalpha() if i % 2 == 0 else ch == ".") for i, ch in enumerate(stripped)) and len(stripped) % 2 == 0


#: Pieces of words that end at a full stop: initials, abbreviations, and what breaks them.
INITIAL_PIECES = ["U", "S", "J", ".", "..", "Dr", "dr", "Gen", "e", "\u00c9", "\u0301", "1", " ",
                  "\n", "\t", "\"", "'", "(", "\u201c", "-", "x", "U.", " U.", "\nU.", "\n "]


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(word=st.lists(st.sampled_from(INITIAL_PIECES), max_size=8).map("".join))
def test_an_initial_is_what_reading_it_letter_by_letter_finds(word):
    assert claims._is_initial(word) == _is_initial_letter_by_letter(word)


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(INITIAL_PIECES), max_size=14).map("".join), data=st.data())
def test_the_word_a_full_stop_ends_is_found_as_searching_back_for_a_space_finds_it(text, data):
    text += "."
    # A full stop, as the engine asks about, or any place.
    dot = data.draw(st.one_of(st.sampled_from([at for at, ch in enumerate(text) if ch == "."]),
                              st.integers(0, len(text) - 1)))
    floor = data.draw(st.integers(0, len(text)))
    low = max(floor, dot - 30)
    word_start = max(text.rfind(" ", low, dot), text.rfind("\n", low, dot), low - 1) + 1
    word = text[word_start:dot + 1].lower()
    expected = word if word in ENGINE.abbreviations or _is_initial_letter_by_letter(word) else None
    assert ENGINE._abbreviation_at(text, dot, floor) == expected


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(space=st.text(alphabet=" \t\n\u00a0\u2003\x1c", max_size=10), rest=st.sampled_from(["", "U", ".", "\u201c"]))
def test_the_next_visible_character_is_the_first_of_eight_that_is_no_space(space, rest):
    text = "." + space + rest
    visible = next((ch for ch in text[1:9] if not ch.isspace()), "")
    assert claims._next_visible(text, 1) == visible


#: The words of a date before a speech verb ("officials said on Tuesday", "Rutte on
#: October 5 said"), in two capitalisations, and what else stands there.
DATE_WORDS = sorted({w for name in ("weekday_name", "month_name", "trailing_time_word")
                     for phrase in ENGINE.book.lists[name] for w in (phrase, phrase.upper())}) \
    + ["on", "last", "this", "5", "17", "2024", ",", "the", "officials", "Rutte", "-", "\u2019s"]


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(words=st.lists(st.sampled_from(DATE_WORDS), max_size=7), data=st.data())
def test_a_trailing_date_is_found_as_the_search_finds_it(words, data):
    text = " ".join(words) + data.draw(st.sampled_from([" ", "  ", ", "]))
    start = data.draw(st.integers(0, len(text)))
    expected = ENGINE._trailing_date.search(text, start, len(text))
    sentence_words = ENGINE._words
    ENGINE._words = rules.words_of(text)
    try:
        found = ENGINE._trailing_date_before(text, start, len(text))
    finally:
        ENGINE._words = sentence_words
    assert (found and found.span()) == (expected and expected.span()), text


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(["2024", "12", "7", "0", " ", "-", ",", "a", "\u0663",
                                      "\u0662\u0660", "\u00b2", "\u00e9"]),
                     max_size=10).map("".join), data=st.data())
def test_a_year_is_possible_where_the_four_digit_pattern_finds_four_digits(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    expected = ENGINE.dates._four_digits.search(text, start, end) is not None
    assert ENGINE.dates.year_possible(text, start, end) == expected


#: ASCII pieces of figures and what follows them: groups, separators of both kinds and
#: stray ones, decimal points, underscores, marks, white space the pattern skips and white
#: space only str.split() takes. Long pieces carry some texts past the window.
ASCII_TOKEN_PIECES = ["2", "500", "1,000", "2'500", ",", "'", ".", "5", "000", "12345",
                      "ten", "thousand", "troops", "A", " ", "  ", "\t", "\n", "\x0b", "_",
                      "$", "%", "-", "(", "\x1c", "x" * 40, " 1,000,000 " * 4]


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(ASCII_TOKEN_PIECES), max_size=30).map("".join),
       data=st.data())
def test_ascii_tokens_ahead_are_those_the_token_scan_finds(text, data):
    pos = data.draw(st.integers(0, len(text)))
    expected = [(kind, text[start:end], start, end) for start, end, kind in numbers._TOKEN.scan(
        text, pos, min(len(text), pos + numbers._WINDOW), numbers._MAX_TOKENS)]
    assert [(t.kind, t.text, t.start, t.end) for t in numbers._tokens_ahead(text, pos)] == expected


#: Words joined by any one ASCII character: the readers of ASCII text split it as bytes,
#: by tables of the characters that join words, which must agree with the patterns' classes
#: on every character.
JOINED_WORDS = ["said", "Kremlin", "the", "health", "Ministry", "x7", "_a", ""]
JOINED_PHRASES = ["Kremlin", "the Health Ministry", "said", "x7"]
JOINED_ANY_CASE = ["the Health Ministry"]
JOINED_ALTERNATION = rules.compile(
    r"(?<![\w])(?:" + rules.list_alternation(JOINED_PHRASES, JOINED_ANY_CASE) + r")(?![\w])")


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(parts=st.lists(st.tuples(st.sampled_from(JOINED_WORDS),
                                st.sampled_from([chr(c) for c in range(128)])), max_size=6))
def test_ascii_text_is_read_as_the_patterns_read_it_whatever_joins_its_words(parts):
    text = " ".join("".join(word + joiner for word, joiner in parts).split())
    finder = rules.PhraseFinder(JOINED_PHRASES, any_case=JOINED_ANY_CASE)
    expected = [(m.start(), m.end()) for m in JOINED_ALTERNATION.finditer(text)]
    assert [(hit.start(), hit.end()) for hit in finder.find_all(text)] == expected, text
    assert rules.words_of(text) == rules._words_token_by_token(text.lower()), text


@settings(max_examples=800, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(ASCII_TOKEN_PIECES + ["\u0663", "\u00a0", "\u00bd", "US$",
                                                           "million", "-", "5%", " 000", "17",
                                                           "October ", "\u2013", " to "]),
                     min_size=1, max_size=12).map("".join), data=st.data())
def test_a_figure_parsed_from_digits_read_before_is_the_one_parsed_alone(text, data):
    decimal = [at for at, ch in enumerate(text) if ch.isdecimal()]
    if not decimal:
        return
    _assert_parsed_alike_from_digits_read_before(text, data.draw(st.sampled_from(decimal)))


def _assert_parsed_alike_from_digits_read_before(text: str, pos: int) -> None:
    alone = GRAMMAR.parse_at(text, pos)
    # As the claims engine reads them (plain-space groups taken), and without the groups.
    for end in (GRAMMAR.number_end(text, pos), numbers.digits_end(text, pos)):
        value = float(numbers.strip_separators(text[pos:end]))
        assert GRAMMAR.parse_at(text, pos, (end, value)) == alone, text


def _strip_one_separator_at_a_time(digits: str) -> str:
    for sep in numbers._SEPARATORS + " ":
        digits = digits.replace(sep, "")
    return digits.replace("\u066b", ".")


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(digits=st.text(alphabet="0159\u0663,.\u00a0\u202f\u2009\u2019'\u066c\u066b \u00bdx", max_size=16))
def test_separators_stripped_by_one_translation_as_one_at_a_time(digits):
    assert numbers.strip_separators(digits) == _strip_one_separator_at_a_time(digits)


#: A number as a figure grouped with plain spaces may be written, and what may stand around
#: it: a month name and a document word, other spaces, separators, signs, dashes, a range,
#: a fraction, a decimal part or comma, words a figure takes, another run of digits.
SPACED_BEFORE = ["", "about ", "x", "October ", "Flight ", "2023 ", "+", "$", "(", "-", "500\u2013",
                 "17\u2013", "\n", ".", "1,"]
SPACED_RUNS = ["11", "250", "1", "017", "2023", "5"]
SPACED_GROUPS = [" 000", " 250", " 25", "\u00a0000", "  000", ",000"]
SPACED_AFTER = ["", " troops", " to 12 000 troops", "\u201312 000 troops", "%", " million", ".",
                ".5 tonnes", "\u00bd", " 5", ",5", "x", "-strong"]
spaced_texts = st.tuples(
    st.sampled_from(SPACED_BEFORE), st.sampled_from(SPACED_RUNS),
    st.lists(st.sampled_from(SPACED_GROUPS), max_size=6).map("".join),
    st.sampled_from(SPACED_AFTER)).map("".join)


def _run_starts(text: str) -> list[int]:
    return [at for at, ch in enumerate(text) if ch.isdecimal() and not (at and text[at - 1].isdecimal())]


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(text=spaced_texts, data=st.data())
def test_plain_space_groups_end_where_their_pattern_ends(text, data):
    """number_end tries NUM-SPACE-GROUPS only after a run of up to three digits, a space
    and a digit: wherever the pattern matches at the start of a run, it gets that far."""
    starts = _run_starts(text)
    if not starts:
        return
    pos = data.draw(st.sampled_from(starts))
    grouped = GRAMMAR._space_groups.match(text, pos)
    expected = grouped.end() if grouped else numbers.digits_end(text, pos)
    assert GRAMMAR.number_end(text, pos) == expected, text


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(text=spaced_texts, data=st.data())
def test_a_figure_grouped_with_plain_spaces_is_read_alike_from_tokens_and_from_digits(text, data):
    """The tokens of a figure part at every space and are joined again by the groups'
    reader: a figure read from its tokens (digits read before without the groups) is the
    one read from the digits with them."""
    starts = _run_starts(text)
    if not starts:
        return
    _assert_parsed_alike_from_digits_read_before(text, data.draw(st.sampled_from(starts)))


def _short_lines_with_digits_line_by_line(text: str, begin: int) -> list[tuple[int, str]]:
    found = []
    line_start = begin
    for line in text[begin:].split("\n"):
        if len(line) <= claims._MAX_HEADING and claims._has_digit(line):
            found.append((line_start, line))
        line_start += len(line) + 1
    return found


#: Lines of headings and of paragraphs: dates, digits, number words, and line breaks, some
#: lines near the longest a heading may be; a character beyond ASCII takes the plain way.
LINE_PIECES = ["\n", "\n\n", "Wednesday, February 8, 2023", "8", "2023", "1,500", "seven",
               "said", " ", "x" * 20, "y" * 47, "\u00b2", "\u0663"]


@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(LINE_PIECES), max_size=12).map("".join), data=st.data())
def test_lines_that_may_be_headings_are_those_read_line_by_line(text, data):
    begin = data.draw(st.integers(0, len(text)))
    candidates = GRAMMAR.candidates(text, begin)
    assert claims._short_lines_with_digits(text, begin, candidates) == \
        _short_lines_with_digits_line_by_line(text, begin), text


@pytest.mark.parametrize("handler", [signal.SIG_DFL, signal.SIG_IGN, lambda signum, frame: None])
def test_the_profiling_handler_is_read_as_signal_getsignal_reads_it(handler):
    before = signal.signal(signal.SIGPROF, handler)
    try:
        # SIG_DFL comes as 0, equal to the enum; a function as itself.
        assert limits._handler_of(signal.SIGPROF) == signal.getsignal(signal.SIGPROF)
        if callable(handler):
            assert limits._handler_of(signal.SIGPROF) is handler
    finally:
        signal.signal(signal.SIGPROF, before)


#: Wordings of qualifiers and their near misses, quotes and spaces between them and a figure.
QUALIFIER_PIECES = ["at least", "At  the most", "nearly", "up to", "more than", "under", "~",
                    "approx.", "some", "handsome", "sunder", "atleast", "in the region of",
                    " ", "\n", "\u201c", "'", "\"", ",", "-", "x", "\u00e9", "12", "$5"]


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(QUALIFIER_PIECES), max_size=8).map("".join), data=st.data())
def test_a_qualifier_before_a_place_is_told_as_its_groups_tell_it(text, data):
    pos = data.draw(st.integers(0, len(text)))
    groups = ENGINE._qualifier_before.match(text, pos).groups()
    assert (ENGINE._any_qualifier_before.match(text, pos) is not None) == \
        any(group is not None for group in groups), (text, pos)


#: End marks, closers, spaces of both kinds (regex's and str.isspace()'s alone), and what
#: a sentence holds between them.
BOUNDARY_PIECES = [".", "!", "?", "\u2026", "\"", "'", "\u201d", "\u2019", ")", "]", " ", "\n",
                   "\u00a0", "\u2028", "\x1c", "\t", "U", "s", "3", "\u00e9", ",", "(", "-"]


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(text=st.lists(st.sampled_from(BOUNDARY_PIECES), max_size=16).map("".join), data=st.data())
def test_sentence_boundaries_are_those_the_patterns_find(text, data):
    pos = data.draw(st.integers(0, len(text)))
    endpos = data.draw(st.integers(pos, len(text)))
    after = ENGINE._boundary.search(text, pos, endpos)
    assert ENGINE._boundary_after(text, pos, endpos) == (after.span() if after else None), \
        (text, pos, endpos)
    before = ENGINE._boundary_back.search(text, pos, endpos)
    assert ENGINE._boundary_before(text, pos, endpos) == (before.span() if before else None), \
        (text, pos, endpos)


def test_a_space_to_the_boundary_readers_is_one_to_regex():
    space = regex.compile(r"\s")
    assert [code for code in range(sys.maxunicode + 1)
            if claims._is_regex_space(chr(code)) != bool(space.match(chr(code)))] == []
