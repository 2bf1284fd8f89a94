"""`/case problem …` parsing: the shared scanner's quoting, ids and usage lines."""

from __future__ import annotations

import pytest

from handlers.slack.problem_grammar import (
    ClaimProblem,
    LinkCase,
    ProblemUsage,
    ReplyAll,
    ResolveAll,
    ShowProblem,
    parse,
)

TAGS = ("billing", "app-crash")


def test_each_subcommand() -> None:
    assert parse("P-7") == ShowProblem(7)
    assert parse("link C-42 P-7") == LinkCase(42, 7)
    assert parse("claim 7") == ClaimProblem(7)
    assert parse("reply P-7   Sorry,\n  we are on it") == ReplyAll(7, "Sorry,\n  we are on it")


def test_a_known_tag_then_a_note_and_a_quoted_tag_word_is_a_note() -> None:
    assert parse("resolve P-7 App-Crash fixed in 4.2", known_tags=TAGS) == ResolveAll(
        7, "app-crash", "fixed in 4.2"
    )
    assert parse('resolve P-7 "billing"', known_tags=TAGS) == ResolveAll(7, None, "billing")


def test_an_unknown_tag_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ProblemUsage) as refused:
        parse("resolve P-7 typo fixed", known_tags=TAGS)
    assert "`typo` is not a root-cause tag; use one of: billing, app-crash." in str(refused.value)
    assert "Usage: `/case problem resolve" in str(refused.value)


def test_bad_ids_and_leftovers_say_what_is_wrong() -> None:
    with pytest.raises(ProblemUsage, match="is not a problem id"):
        parse("claim C-3")
    with pytest.raises(ProblemUsage, match="Which problem"):
        parse("claim")
    with pytest.raises(ProblemUsage, match="Unexpected `&lt;@U1&gt;`"):
        parse("claim P-1 <@U1>")
    with pytest.raises(ProblemUsage, match="Unbalanced quotes"):
        parse('link "C-1 P-2')
