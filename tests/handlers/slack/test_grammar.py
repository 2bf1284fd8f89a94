"""The `/case` grammar: every command, every id spelling, and text meant to break it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.reading import ListScope
from handlers.slack.grammar import (
    MAX_TEXT_CHARS,
    USAGE,
    Assign,
    Claim,
    Command,
    Escalate,
    Help,
    ListCases,
    Note,
    Oncall,
    OncallOverride,
    Period,
    Reopen,
    Reply,
    Resolve,
    Show,
    Summary,
    Unclaim,
    UsageError,
    Wait,
    parse,
    usage,
)

TAGS = ("billing-error", "Late-Delivery")


def errors(text: str, slash: str = "/case") -> str:
    with pytest.raises(UsageError) as exc:
        parse(text, slash, known_tags=TAGS)
    return str(exc.value)


@pytest.mark.parametrize("spelling", ["C-42", "c-42", "C42", "c42", "42", " 42 "])
@pytest.mark.parametrize(
    ("verb", "build"),
    [
        ("claim", Claim),
        ("unclaim", Unclaim),
        ("reopen", Reopen),
        ("show", Show),
        ("wait", Wait),
        ("CLAIM", Claim),
    ],
)
def test_id_commands_accept_every_id_spelling(verb: str, build: type, spelling: str) -> None:
    assert parse(f"{verb} {spelling}") == build(42)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help(None)),
        ("   \n ", Help(None)),
        ("help", Help(None)),
        ("help claim", Help("claim")),
        ("HELP List", Help("list")),
        ("help oncall override", Help("oncall override")),
        ("assign C-7 <@U123ABC>", Assign(7, "U123ABC")),
        ("assign 7 <@W0ANA|ana>", Assign(7, "W0ANA")),
        ("assign 7 <@U1|Ana Lopez>", Assign(7, "U1")),
        ("escalate 42 billing", Escalate(42, "billing", None, None, "")),
        ("escalate 42 Billing refund please", Escalate(42, "billing", None, None, "refund please")),
        ("escalate 42 <#C0BILL|billing> why", Escalate(42, None, "C0BILL", None, "why")),
        ("escalate 42 <#C0BILL|>", Escalate(42, None, "C0BILL", None, "")),
        ("escalate 42 <@U9|bo> over to you", Escalate(42, None, None, "U9", "over to you")),
        ("escalate 42 billing <@U9> for bo", Escalate(42, "billing", None, "U9", "for bo")),
        ('escalate 42 "pr" said "hi"', Escalate(42, "pr", None, None, 'said "hi"')),
        ("escalate 42 pr “quoted reason”", Escalate(42, "pr", None, None, "quoted reason")),
        ("escalate 42 pr he said “hi", Escalate(42, "pr", None, None, "he said “hi")),
        ("resolve 42", Resolve(42, None, "")),
        ("resolve 42 billing-error", Resolve(42, "billing-error", "")),
        ("resolve 42 BILLING-ERROR refunded", Resolve(42, "billing-error", "refunded")),
        ("resolve 42 late-delivery  sorry", Resolve(42, "Late-Delivery", "sorry")),
        ('resolve 42 "refunded the customer"', Resolve(42, None, "refunded the customer")),
        ("resolve 42 “refunded, sorry”", Resolve(42, None, "refunded, sorry")),
        ('resolve 42 "weather-delay" sorry', Resolve(42, None, '"weather-delay" sorry')),
        ('resolve 42 billing-error "all quoted"', Resolve(42, "billing-error", "all quoted")),
        ('resolve 42 "billing-error" ok', Resolve(42, "billing-error", "ok")),
        ("note 42 called them back", Note(42, "called them back")),
        ("note 42 don't forget", Note(42, "don't forget")),
        ('note 42 "all quoted"', Note(42, "all quoted")),
        ("reply C-3 Hi Ana,\n\n  we are on it.", Reply(3, "Hi Ana,\n\n  we are on it.")),
        ("reply 3 <!channel> is not a ping", Reply(3, "<!channel> is not a ping")),
        ("reply 3 Q&amp;A: 2 &lt; 3 &amp;gt;", Reply(3, "Q&A: 2 < 3 &gt;")),
        ("escalate 4 pr a &lt;b&gt;", Escalate(4, "pr", None, None, "a <b>")),
        ("list", ListCases(ListScope.MINE, None, None, 1)),
        ("list open", ListCases(ListScope.OPEN, None, None, 1)),
        ("list unclaimed billing", ListCases(ListScope.UNCLAIMED, "billing", None, 1)),
        ("list breaching <#C1X|pr> page 3", ListCases(ListScope.BREACHING, None, "C1X", 3)),
        ("list page 2 open", ListCases(ListScope.OPEN, None, None, 2)),
        ("list billing", ListCases(ListScope.MINE, "billing", None, 1)),
        ("summary", Summary(Period.TODAY, None, None)),
        ("summary week", Summary(Period.WEEK, None, None)),
        ("summary 30d billing", Summary(Period.DAYS_30, "billing", None)),
        ("summary <#C1X> today", Summary(Period.TODAY, None, "C1X")),
        ("oncall", Oncall(None, None)),
        ("oncall logistics", Oncall("logistics", None)),
        ("oncall <#C1X|logistics>", Oncall(None, "C1X")),
        (
            "oncall override billing <@U1> 30m",
            OncallOverride("billing", None, "U1", timedelta(minutes=30)),
        ),
        (
            "Oncall Override <#C1X> <@U1|a> 1h30m",
            OncallOverride(None, "C1X", "U1", timedelta(minutes=90)),
        ),
        ("oncall override pr <@U1> 2D", OncallOverride("pr", None, "U1", timedelta(days=2))),
    ],
)
def test_parses(text: str, expected: Command) -> None:
    assert parse(text, known_tags=TAGS) == expected


def test_tag_is_never_guessed_without_known_tags() -> None:
    assert parse("resolve 42 billing-error x") == Resolve(42, None, "billing-error x")


def test_free_text_keeps_original_spacing_and_newlines() -> None:
    text = 'note 42   first line\n\tindented   twice\n\n“smart” and "straight" quotes'
    assert parse(text) == Note(
        42, 'first line\n\tindented   twice\n\n“smart” and "straight" quotes'
    )


@pytest.mark.parametrize(
    ("text", "reason", "verb"),
    [
        ("claim", "Which case?", "claim"),
        ("claim C-", "is not a case id", "claim"),
        ("claim 0", "is not a case id", "claim"),
        ("claim 42 43", "Unexpected `43`", "claim"),
        ("claim 1234567890123", "is not a case id", "claim"),
        ("assign 42", "Who?", "assign"),
        ("assign 42 ana", "not a person", "assign"),
        ("assign 42 @ana", "Pick them from the @ list", "assign"),
        ("assign 42 <#C1X>", "not a person", "assign"),
        ("escalate 42", "which department or person", "escalate"),
        ("escalate 42 @ana", "Pick them from the @ list", "escalate"),
        ('escalate 42 "billing', "Unbalanced quotes", "escalate"),
        ('claim "42', "Unbalanced quotes", "claim"),
        ("escalate 42 <!channel>", "not a department", "escalate"),
        (
            "resolve 42 refunded the customer",
            "`refunded` is not a root-cause tag; use one of: billing-error, Late-Delivery."
            ' For a note without a tag, quote it: `/case resolve 42 "your note"`.',
            "resolve",
        ),
        ("resolve 42 <!channel> hi", "`&lt;!channel&gt;` is not a root-cause tag", "resolve"),
        ("note 42", "Write the note", "note"),
        ("note 42   ", "Write the note", "note"),
        ("reply 42", "Write the reply", "reply"),
        ("list page", "Which page?", "list"),
        ("list page 0", "not a page number", "list"),
        ("list page two", "not a page number", "list"),
        ("list page ²", "not a page number", "list"),
        ("list page 2 page 3", "Unexpected `page`", "list"),
        ("list open mine", "Pick one of", "list"),
        ("list billing pr", "Unexpected `pr`", "list"),
        ("summary week today", "Pick one of", "summary"),
        ("summary billing pr", "Unexpected `pr`", "summary"),
        ("oncall billing pr", "Unexpected `pr`", "oncall"),
        ("oncall override", "Which department?", "oncall override"),
        ("oncall override billing", "Who?", "oncall override"),
        ("oncall override billing <@U1>", "For how long?", "oncall override"),
        ("oncall override billing <@U1> soon", "not a duration", "oncall override"),
        ("oncall override billing <@U1> 0m", "between 1m and 30d", "oncall override"),
        ("oncall override billing <@U1> 400d", "between 1m and 30d", "oncall override"),
        ("oncall override billing <@U1> 99999d", "between 1m and 30d", "oncall override"),
        ("oncall override billing <@U1> 4h now", "Unexpected `now`", "oncall override"),
        ("help nothing", "No command `nothing`", "help"),
        ("help clam", "Did you mean `claim`?", "help"),
    ],
)
def test_usage_errors_name_the_problem_and_one_usage_line(
    text: str, reason: str, verb: str
) -> None:
    message = errors(text)
    first, usage_line = message.split("\n")
    assert reason in first
    assert usage_line == f"Usage: `/case {USAGE[verb][0]}` — {USAGE[verb][1]}"


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("clam 42", "claim"),
        ("esclate 42 pr", "escalate"),
        ("lsit", "list"),
        ("resovle 1", "resolve"),
    ],
)
def test_unknown_command_suggests_the_closest(text: str, suggestion: str) -> None:
    message = errors(text)
    assert f"Unknown command `{text.split()[0]}`. Did you mean `{suggestion}`?" in message
    assert message.splitlines()[-1].startswith(f"Usage: `/case {suggestion} ")


def test_unknown_command_without_a_close_match_points_to_help() -> None:
    assert errors("xyzzy 42", "/support") == "Unknown command `xyzzy`. Try `/support help`."


@pytest.mark.parametrize(
    "text",
    [
        "<!channel>",
        "<!here> 42",
        "claim <!channel>",
        "assign 42 <!everyone>",
        "escalate 42 <!subteam^S1|@team>",
        "oncall override <!channel> <@U1> 1h",
    ],
)
def test_hostile_mentions_are_echoed_escaped(text: str) -> None:
    message = errors(text)
    assert "<!" not in message
    assert "&lt;!" in message


def test_slack_entities_are_echoed_once_escaped() -> None:
    assert errors("claim &lt;!here&gt;").startswith("`&lt;!here&gt;` is not a case id")


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "“",
        '"claim 42',
        "`rm -rf`",
        "claim `42`",
        "claim " + "9" * 200,
        "assign 42 <@U1",
        "assign 42 <@>",
        "escalate 42 " + "<" * 500,
        "list " + "page " * 300,
        "x" * MAX_TEXT_CHARS,
        "\x00\x1b[31m",
        "claim\u200b42",
        "help " + "a" * 1000,
    ],
)
def test_hostile_text_is_a_usage_error_not_a_crash(text: str) -> None:
    message = errors(text)
    assert 0 < len(message) < 400
    assert message.count("`") % 2 == 0


def test_too_long_input_is_refused_before_parsing() -> None:
    assert "too long" in errors("note 42 " + "x" * MAX_TEXT_CHARS)


def test_long_free_text_within_the_limit_is_kept_whole() -> None:
    text = "word " * 700
    assert parse("note 42 " + text) == Note(42, text.strip())


def test_echoed_words_are_clipped() -> None:
    first = errors("claim " + "z" * 300).splitlines()[0]
    assert len(first) < 100


def test_usage_for_one_verb_and_for_all() -> None:
    assert usage("/case", "claim") == "Usage: `/case claim ID` — take a case"
    assert usage("/case", "oncall").count("Usage:") == 2
    full = usage("/support")
    assert full.startswith("*/support commands*")
    for syntax, _ in USAGE.values():
        assert f"`/support {syntax}`" in full
