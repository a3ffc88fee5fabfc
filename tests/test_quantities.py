"""Quantity keys: which figures a user can expect to be compared, and why.

Sentences are written for these tests (with their publication date); the seed articles in
``sources/`` are the one real batch. Keys are compared with each other, never with
hard-coded strings, except where a user writes a key into figcheck.toml.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd
import pytest

import figcheck
from figcheck import config as settings

quantities = importlib.import_module("figcheck.quantities")  # figcheck.quantities is the API function

REPOSITORY = Path(__file__).resolve().parent.parent
DAY = "2024-11-04"


def keys(text: str, published: str = DAY, **kwargs) -> dict[str, str]:
    """The quantity key of each figure of ``text``, by the figure's surface text."""
    frame = figcheck.extract_text(text, published, **kwargs)
    return dict(zip(frame["text"], frame["quantity"]))


def key_of(frame: pd.DataFrame, needle: str) -> str:
    rows = frame[frame["text"].str.contains(needle, regex=False)]
    assert len(rows) == 1, (needle, frame["text"].tolist())
    return rows["quantity"].iloc[0]


def batch(*texts: str) -> pd.DataFrame:
    """One claims table from several one-sentence articles, a day apart."""
    frames = [figcheck.extract_text(text, f"2024-11-{i + 1:02d}", doc=f"a{i}.txt", quantities=False)
              for i, text in enumerate(texts)]
    return figcheck.assign_quantities(pd.concat(frames, ignore_index=True))


# -- the same thing measured by different sources -------------------------------------------

def test_one_quantity_across_articles_sources_and_wordings():
    claims = batch(
        "Officials in Kyiv said 8,000 North Korean troops were training in Russia.",
        "About 9,500 soldiers from North Korea are in Russia, the Pentagon said.",
        "Seoul's spy agency said several thousand DPRK soldiers had arrived in Russia.",
    )
    assert claims["quantity"].nunique() == 1, claims[["text", "quantity"]]
    assert claims["quantity"].notna().all()


def test_killed_wounded_and_casualties_are_different_quantities():
    claims = batch("Officials said 300 North Korean soldiers were killed.",
                   "Officials said 2,700 North Korean soldiers were wounded.",
                   "Officials said North Korea has suffered 3,000 casualties.")
    assert set(claims["unit"]) == {"killed", "wounded", "casualties"}
    assert claims["quantity"].nunique() == 3, claims[["text", "quantity"]]


def test_different_entities_are_different_quantities():
    claims = batch("Officials said 5,000 Russian soldiers were killed in the battle.",
                   "Officials said 5,000 Ukrainian soldiers were killed in the battle.")
    assert claims["quantity"].nunique() == 2


# -- parts of a whole get keys of their own ---------------------------------------------------

@pytest.mark.parametrize("part", [
    "Budanov said the first unit of 2,100 North Korean soldiers is on its way to the front.",
    "Seoul said North Korea will send a second batch of its troops, totaling 6,000 North Korean soldiers.",
    "The agency said North Korea has sent another 1,200 North Korean soldiers.",
    "The Pentagon said 7,000 North Korean soldiers are now in Russia's Bryansk region.",
    "Officials said 1,400 North Korean special forces are training near the border.",
    "Officials said 900 North Korean soldiers who returned to Pyongyang were decorated.",
])
def test_a_part_is_not_the_whole(part):
    whole = "Officials said 12,000 North Korean soldiers are in Russia."
    claims = batch(whole, part)
    assert claims["quantity"].nunique() == 2, claims[["text", "quantity", "quantity_reason"]]


def test_parts_named_the_same_way_are_one_quantity():
    claims = batch("The agency said North Korea has sent another 1,200 North Korean soldiers.",
                   "Officials said North Korea sent an additional 1,500 North Korean troops.")
    assert claims["quantity"].nunique() == 1


def test_casualties_in_the_region_where_the_war_is_are_the_casualties():
    claims = batch("Officials said 400 North Korean soldiers were killed in the Kursk region.",
                   "Officials said 450 North Korean soldiers have been killed so far.")
    assert claims["quantity"].nunique() == 1


def test_a_rate_is_not_a_total():
    claims = batch("Britain said Russia is losing about 1,200 Russian soldiers a day.",
                   "Britain said Russia has lost 700,000 Russian soldiers.")
    assert claims["quantity"].nunique() == 2


def test_kinds_of_aid_and_promises_are_not_the_total():
    found = keys("Canada has given Ukraine $4 billion in aid. Canada has given Ukraine $1 billion "
                 "in humanitarian aid. Canada has pledged $9 billion to Ukraine.")
    assert len(set(found.values())) == 3, found


def test_a_figure_in_parentheses_measures_the_words_before_them():
    found = keys("Canada's aid to Ukraine splits into military aid ($2 billion) and financial "
                 "aid ($3 billion), officials said.")
    assert len(set(found.values())) == 2, found


# -- whose, when the sentence does not say ------------------------------------------------------

def test_a_figure_without_an_owner_takes_the_articles():
    frame = figcheck.extract_text(
        "About 300 North Korean soldiers have been killed, officials said. Another 2,700 "
        "soldiers were wounded, they added.", DAY)
    wounded = frame[frame["unit"] == "wounded"]
    assert wounded["entity"].isna().all(), "the extractor gives this figure no owner"
    other = figcheck.extract_text("Officials said 2,500 North Korean soldiers were wounded.", DAY)
    assert wounded["quantity"].iloc[0] == other["quantity"].iloc[0]
    assert "QTY-ENTITY-CARRIED" in wounded["quantity_reason"].iloc[0]


def test_a_whole_with_an_owned_part_is_not_given_the_parts_owner():
    frame = figcheck.extract_text(
        "Officials said 20 soldiers were killed in the strike, including six North Korean officers.", DAY)
    assert frame["quantity"].nunique() == len(frame), frame[["text", "quantity"]]


def test_figures_with_no_owner_at_all_stay_in_their_article():
    claims = batch("Officials said 40 people were killed in the flood.",
                   "Officials said 90 people were killed in the fire.")
    assert claims["quantity"].nunique() == 2
    assert claims["quantity_reason"].str.contains("QTY-NO-ENTITY").all()


# -- reasons, determinism, wire copy ----------------------------------------------------------

def test_every_claim_has_a_readable_reason_naming_the_rules():
    frame = figcheck.extract_text(
        "Budanov said the first unit of 2,100 North Korean soldiers is on its way.", DAY)
    reason = frame["quantity_reason"].iloc[0]
    assert "QTY-FIRST-BATCH" in reason and "north korean" in reason and "soldiers" in reason


def test_seed_articles_group_as_a_reader_would():
    claims = figcheck.extract(str(REPOSITORY / "sources"))
    troops = {key_of(claims, t) for t in ("about 11,000 North Korean", "ten thousand", "two brigades",
                                          "nearly 11,000", "11,000 North Korean infantrymen")}
    assert len(troops) == 1
    (troops,) = troops
    assert set(claims.loc[claims["text"].str.contains("several thousand"), "quantity"]) == {troops}
    others = [key_of(claims, t) for t in ("2,600", "up to 10,000", "600,000", "20 soldiers", "six North Korean")]
    assert len(set(others)) == len(others) and troops not in others


def test_keys_do_not_depend_on_row_order():
    claims = figcheck.extract(str(REPOSITORY / "sources"), quantities=False)
    forward = figcheck.assign_quantities(claims)
    backward = figcheck.assign_quantities(claims.iloc[::-1].reset_index(drop=True))
    merged = forward.merge(backward, on="claim_id", suffixes=("", "_back"))
    assert (merged["quantity"] == merged["quantity_back"]).all()
    assert (merged["quantity_reason"] == merged["quantity_reason_back"]).all()


def test_wire_copy_gets_the_same_key_in_every_article():
    text = "SEOUL (AP) — About 300 North Korean soldiers have died. Another 2,700 soldiers were wounded."
    frames = [figcheck.extract_text(text, DAY, doc=f"outlet{i}.txt", quantities=False) for i in range(3)]
    claims = figcheck.assign_quantities(pd.concat(frames, ignore_index=True))
    assert claims.groupby("text")["quantity"].nunique().eq(1).all()


def test_keys_already_in_the_table_are_kept():
    claims = batch("Officials said 8,000 North Korean troops were in Russia.",
                   "Officials said 9,000 North Korean troops were in Russia.")
    claims.loc[1, "quantity"] = "my own key"
    kept = quantities.ensure(claims)
    assert kept.loc[1, "quantity"] == "my own key"
    claims.loc[0, "quantity"] = None
    filled = quantities.ensure(claims)
    assert filled.loc[0, "quantity"] == figcheck.assign_quantities(claims).loc[0, "quantity"]


def test_explain_names_the_rules_that_shaped_the_keys():
    fired = quantities.explain("Seoul said a second group of 3,000 North Korean soldiers left.", DAY)
    assert "QTY-SECOND-BATCH" in fired


# -- the user's settings: name, merge, split --------------------------------------------------

SENTENCES = ("Officials said 8,000 North Korean troops were in Russia. "
             "Officials said 7,000 North Korean troops were in Russia's Kursk region. "
             "Officials said 300 North Korean soldiers were killed.")


def test_settings_name_merge_and_split_quantities(tmp_path):
    derived = keys(SENTENCES)
    troops = derived["8,000 North Korean troops"]
    kursk = derived["7,000 North Korean troops"]
    killed = derived["300 North Korean soldiers"]
    (tmp_path / "figcheck.toml").write_text(f'''
[quantities.names]
"{troops}" = "dprk troops in russia"

[quantities.merge]
"dprk everything else" = ["{kursk}", "{killed}"]
''', encoding="utf-8")
    found = keys(SENTENCES, config=settings.load(tmp_path))
    assert found["8,000 North Korean troops"] == "dprk troops in russia"
    assert found["7,000 North Korean troops"] == found["300 North Korean soldiers"] == "dprk everything else"
    frame = figcheck.extract_text(SENTENCES, DAY, config=settings.load(tmp_path))
    assert frame["quantity_reason"].str.contains("figcheck.toml").all()


def test_settings_split_one_key_by_a_pattern(tmp_path):
    troops = keys(SENTENCES)["8,000 North Korean troops"]
    (tmp_path / "pyproject.toml").write_text(f'''
[project]
name = "x"

[[tool.figcheck.quantities.split]]
quantity = "{troops}"
when = "(?i)officials said 8,000"
name = "the eight thousand"
''', encoding="utf-8")
    nested = tmp_path / "deeper" / "folder"
    nested.mkdir(parents=True)
    found = keys(SENTENCES, config=settings.load(nested))  # found from a folder below
    assert found["8,000 North Korean troops"] == "the eight thousand"


@pytest.mark.parametrize("text, message", [
    ("[quantities]\nnmaes = {}\n", "quantities.nmaes"),
    ("[tolerances]\nabout = 5\n", "tolerances.about"),
    ("[[quantities.split]]\nquantity = \"a\"\nwhen = \"(\"\nname = \"b\"\n", "not a pattern"),
    ("[quantities.merge]\nx = \"a\"\n", "list of keys"),
])
def test_bad_settings_are_refused_with_the_key_named(tmp_path, text, message):
    (tmp_path / "figcheck.toml").write_text(text, encoding="utf-8")
    with pytest.raises(settings.ConfigError, match=message):
        settings.load(tmp_path)


def test_no_settings_file_means_the_defaults(tmp_path):
    assert settings.load(tmp_path) == settings.Config()


def test_scopes_found_in_one_table_serve_the_next_within_a_bounded_cache(monkeypatch):
    """The engine keeps what its scope rules found across tables (a worker derives the
    keys of many small ones) and empties that cache when it is full: the keys are those
    of a fresh engine, whatever is in the cache."""
    seeds = sorted((REPOSITORY / "sources").glob("*.txt"))
    claims = figcheck.extract([str(p) for p in seeds], quantities=False)
    expected = quantities.assign(claims)
    engine = quantities.engine()
    monkeypatch.setattr(quantities, "FOUND_CACHE_SIZE", 3)
    engine.found.clear()
    small = [quantities.assign(article.reset_index(drop=True))  # a table per article
             for _, article in claims.groupby("doc", sort=True)]
    assert len(engine.found) <= 3
    again = quantities.assign(claims)  # the cache now holds other tables' scopes
    assert pd.concat(small, ignore_index=True)["quantity"].tolist() == expected["quantity"].tolist()
    assert again["quantity_reason"].tolist() == expected["quantity_reason"].tolist()
    assert len(engine.found) <= 3 and expected["quantity"].str.contains(",").any()
