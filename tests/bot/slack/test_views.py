"""Block Kit views: within Slack's limits at any size, and no untrusted text unescaped.

Each rendering is also read back through slack_sdk's models, which check Slack's
documented limits and drop nothing they understand, so a round trip proves the shape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.reading import (
    CaseDetail,
    CasePage,
    CaseSummary,
    HomeContent,
    ListQuery,
    ListScope,
    Person,
    SnoozeChoice,
    TimelineEntry,
)
from bot.slack import ids, kit, lists, modals, show

HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|click> & friends"
AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def summary(n: int, *, owner: str | None = None, text: str = "my parcel is late") -> CaseSummary:
    return CaseSummary(
        case_id=n,
        ref=f"C-{n}",
        priority="high",
        status="open",
        owner_id=owner,
        department="Logistics",
        customer=f"Customer {n}",
        excerpt=text,
        sla_text="first response due in 42 min",
        url=f"https://acme.slack.com/archives/C1/p{n}",
    )


def checked_view(view: dict[str, Any]) -> dict[str, Any]:
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view
    return view


def checked_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert len(blocks) <= kit.MESSAGE_BLOCK_LIMIT
    for block in blocks:
        model = Block.parse(block)
        assert model is not None
        model.validate_json()
        assert model.to_dict() == block
    return blocks


def texts(blocks: Any) -> list[str]:
    """Every mrkdwn/plain text string anywhere in a structure."""
    if isinstance(blocks, dict):
        found = [blocks["text"]] if isinstance(blocks.get("text"), str) else []
        return found + [t for v in blocks.values() for t in texts(v)]
    if isinstance(blocks, list):
        return [t for v in blocks for t in texts(v)]
    return []


def assert_no_raw_controls(structure: Any) -> None:
    for text in texts(structure):
        assert "<!channel>" not in text
        assert "<@U0BOSS>" not in text
        assert "<https://evil" not in text


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == block_id]
    assert block["element"]["action_id"] == block_id
    return dict(block["element"])


# --- modals -----------------------------------------------------------------------


def test_escalate_modal_offers_other_departments_a_person_and_a_reason() -> None:
    departments = [("billing", "Billing"), ("logistics", "Logistics"), ("pr", "PR")]
    view = checked_view(modals.escalate_modal(42, "C-42", departments, current="logistics"))
    assert view["callback_id"] == "escalate_modal"
    assert json.loads(view["private_metadata"]) == {"case": 42}
    select = element(view, ids.InputId.ESCALATE_DEPARTMENT)
    assert [o["value"] for o in select["options"]] == ["billing", "pr"]
    assert element(view, ids.InputId.ESCALATE_USER)["type"] == "users_select"
    reason = element(view, ids.InputId.ESCALATE_REASON)
    assert reason["type"] == "plain_text_input" and reason["multiline"] is True


def test_escalate_modal_caps_departments_at_the_option_limit() -> None:
    departments = [(f"d{i}", f"Department {i} " + "x" * 100) for i in range(150)]
    view = checked_view(modals.escalate_modal(1, "C-1", departments, current=None))
    options = element(view, ids.InputId.ESCALATE_DEPARTMENT)["options"]
    assert len(options) == kit.OPTION_LIMIT
    assert all(len(o["text"]["text"]) <= kit.OPTION_TEXT_LIMIT for o in options)


@pytest.mark.parametrize("needs_approval", [True, False])
def test_reply_modal_quotes_the_post_escaped(needs_approval: bool) -> None:
    view = checked_view(
        modals.reply_modal(
            7,
            "C-7",
            customer=HOSTILE,
            customer_text=HOSTILE + "\nsecond line",
            source="twitter",
            needs_approval=needs_approval,
            max_length=280,
        )
    )
    assert view["callback_id"] == "reply_modal"
    assert_no_raw_controls(view)
    assert "> &lt;!channel&gt;" in view["blocks"][1]["text"]["text"]
    assert "> second line" in view["blocks"][1]["text"]["text"]
    assert element(view, ids.InputId.REPLY_TEXT)["max_length"] == 280
    assert ("approval" in json.dumps(view)) is needs_approval


def test_reply_modal_clips_a_huge_post() -> None:
    view = checked_view(
        modals.reply_modal(
            7, "C-7", customer="a", customer_text="&" * 10_000, source="x", needs_approval=False
        )
    )
    assert len(view["blocks"][1]["text"]["text"]) <= kit.SECTION_TEXT_LIMIT


def test_resolve_modal_offers_the_configured_tags() -> None:
    view = checked_view(modals.resolve_modal(9, "C-9", ["billing-error", "late-delivery"]))
    assert view["callback_id"] == "resolve_modal"
    tag = element(view, ids.InputId.RESOLVE_TAG)
    assert [o["value"] for o in tag["options"]] == ["billing-error", "late-delivery"]
    assert element(view, ids.InputId.RESOLVE_NOTE)["type"] == "plain_text_input"


def test_resolve_modal_without_tags_asks_only_for_a_note() -> None:
    view = checked_view(modals.resolve_modal(9, "C-9", []))
    assert [b["block_id"] for b in view["blocks"]] == [ids.InputId.RESOLVE_NOTE]


def test_modal_title_fits_for_the_longest_case_id() -> None:
    view = checked_view(modals.escalate_modal(999_999_999_999, "C-999999999999", [], None))
    assert len(view["title"]["text"]) <= kit.TITLE_LIMIT


@pytest.mark.parametrize("case_id", [1, 42, 999_999_999_999])
def test_private_metadata_round_trips(case_id: int) -> None:
    for view in (
        modals.escalate_modal(case_id, "C-x", [("a", "A")], None),
        modals.resolve_modal(case_id, "C-x", ["t"]),
        modals.snooze_modal(case_id, "C-x"),
    ):
        assert ids.read_case_value(view["private_metadata"]) == case_id


@pytest.mark.parametrize(
    "value", ["", "{", "[]", "null", '{"case":"42"}', '{"case":0}', '{"case":true}', "[" * 10_000]
)
def test_bad_case_values_read_as_none(value: str) -> None:
    assert ids.read_case_value(value) is None


# --- snooze -------------------------------------------------------------------------


def test_snooze_actions_offer_30m_1h_2h_for_the_case() -> None:
    [block] = checked_blocks([modals.snooze_actions(5)])
    select, button = block["elements"]
    assert select["action_id"] == "snooze_choice"
    labels = [o["text"]["text"] for o in select["options"]]
    assert labels == ["30 min", "1 h", "2 h"]
    choices = [ids.read_snooze_value(o["value"]) for o in select["options"]]
    assert choices == [SnoozeChoice(5, 30), SnoozeChoice(5, 60), SnoozeChoice(5, 120)]
    assert button["action_id"] == "snooze_with_reason"
    assert ids.read_case_value(button["value"]) == 5


def test_snooze_modal_has_durations_and_an_optional_reason() -> None:
    view = checked_view(modals.snooze_modal(5, "C-5"))
    assert view["callback_id"] == "snooze_modal"
    minutes = element(view, ids.InputId.SNOOZE_MINUTES)
    assert [o["value"] for o in minutes["options"]] == ["30", "60", "120"]
    reason = [b for b in view["blocks"] if b["block_id"] == ids.InputId.SNOOZE_REASON]
    assert reason[0]["optional"] is True


@pytest.mark.parametrize(
    "value", ['{"case":5,"min":45}', '{"case":5}', '{"case":-1,"min":30}', "30", "nope"]
)
def test_only_offered_snoozes_are_accepted(value: str) -> None:
    assert ids.read_snooze_value(value) is None


# --- App Home -------------------------------------------------------------------------


def home(n: int) -> HomeContent:
    return HomeContent(
        mine=tuple(summary(i, owner="U1") for i in range(n)),
        queue=tuple(summary(1000 + i) for i in range(n)),
        queue_department="logistics",
        queue_department_name="Logistics",
        breaching=tuple(summary(2000 + i, text=HOSTILE * 50) for i in range(n)),
    )


def test_home_with_500_cases_per_group_stays_under_limits() -> None:
    view = checked_view(lists.home_view(home(500), slash="/support"))
    assert view["type"] == "home"
    assert len(view["blocks"]) <= kit.VIEW_BLOCK_LIMIT
    more = [t for t in texts(view) if t.startswith("and ")]
    assert more == [
        f"and {500 - lists.HOME_GROUP_SIZE} more — `/support list mine`",
        f"and {500 - lists.HOME_GROUP_SIZE} more — `/support list unclaimed logistics`",
        f"and {500 - lists.HOME_GROUP_SIZE} more — `/support list breaching`",
    ]
    assert_no_raw_controls(view)


def test_home_sections_and_buttons() -> None:
    view = checked_view(lists.home_view(home(2)))
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["My open cases", "Logistics unclaimed queue", "Breaching soon"]
    sections = [b for b in view["blocks"] if b["type"] == "section"]
    mine, queued = sections[0]["accessory"], sections[2]["accessory"]
    assert mine["action_id"] == ids.ActionId.CASE_OPEN
    assert mine["url"] == "https://acme.slack.com/archives/C1/p0"
    assert queued["action_id"] == ids.ActionId.CLAIM
    assert ids.read_case_value(queued["value"]) == 1000


def test_empty_home_says_so() -> None:
    empty = HomeContent((), (), None, "Billing", ())
    view = checked_view(lists.home_view(empty))
    assert "Queue is empty." in texts(view)
    assert len(view["blocks"]) == 8


def test_case_line_escapes_every_untrusted_field() -> None:
    case = CaseSummary(1, "C-1", "urgent", "open", None, HOSTILE, HOSTILE, HOSTILE, HOSTILE, None)
    view = checked_view(lists.home_view(HomeContent((case,), (), None, "X", ())))
    assert_no_raw_controls(view)
    line = view["blocks"][1]["text"]["text"]
    assert line.count("&lt;!channel&gt;") == 4
    assert "&amp; friends" in line


def test_open_button_links_only_https_urls() -> None:
    case = CaseSummary(1, "C-1", "low", "open", "U1", "d", "c", "e", None, "javascript:alert(1)")
    view = checked_view(lists.home_view(HomeContent((case,), (), None, "X", ())))
    assert "url" not in view["blocks"][1]["accessory"]


# --- case list -------------------------------------------------------------------------


def page_of(page: int, total: int, scope: ListScope = ListScope.OPEN) -> CasePage:
    start = (page - 1) * lists.LIST_PAGE_SIZE
    cases = tuple(summary(i + 1) for i in range(start, min(total, start + lists.LIST_PAGE_SIZE)))
    return CasePage(ListQuery(scope, "logistics", page), cases, total)


def test_list_first_page_has_only_next() -> None:
    fallback, blocks = lists.case_list(page_of(1, 500))
    checked_blocks(blocks)
    assert "500 cases, page 1 of 25" in blocks[0]["text"]["text"]
    [next_button] = blocks[-1]["elements"]
    assert next_button["action_id"] == "case_list_page_next"
    assert ids.read_list_page_value(next_button["value"]) == ListQuery(
        ListScope.OPEN, "logistics", 2
    )
    assert fallback.startswith("Open cases")


def test_list_middle_page_has_prev_and_next() -> None:
    _, blocks = lists.case_list(page_of(7, 500, ListScope.BREACHING))
    checked_blocks(blocks)
    prev, nxt = blocks[-1]["elements"]
    assert prev["action_id"].startswith("case_list_page")
    assert nxt["action_id"].startswith("case_list_page")
    assert json.loads(prev["value"]) == {"scope": "breaching", "dept": "logistics", "page": 6}
    assert json.loads(nxt["value"]) == {"scope": "breaching", "dept": "logistics", "page": 8}


def test_list_last_page_has_only_prev() -> None:
    _, blocks = lists.case_list(page_of(25, 500))
    checked_blocks(blocks)
    [prev] = blocks[-1]["elements"]
    assert ids.read_list_page_value(prev["value"]) == ListQuery(ListScope.OPEN, "logistics", 24)


def test_list_never_exceeds_50_blocks_even_if_given_too_many_cases() -> None:
    query = ListQuery(ListScope.MINE, None, 2)
    _, blocks = lists.case_list(CasePage(query, tuple(summary(i) for i in range(500)), 5000))
    checked_blocks(blocks)
    assert sum(1 for b in blocks if "accessory" in b) == lists.LIST_PAGE_SIZE


def test_single_page_list_has_no_buttons() -> None:
    _, blocks = lists.case_list(page_of(1, 3))
    assert [b["type"] for b in checked_blocks(blocks)] == ["section"] * 4
    assert blocks[0]["text"]["text"] == "*Open cases · logistics* — 3 cases"


def test_stale_page_past_the_end_points_back() -> None:
    _, blocks = lists.case_list(CasePage(ListQuery(ListScope.OPEN, None, 9), (), 30))
    checked_blocks(blocks)
    [prev] = blocks[-1]["elements"]
    assert ids.read_list_page_value(prev["value"]) == ListQuery(ListScope.OPEN, None, 2)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "{}",
        '{"scope":"all","dept":null,"page":1}',
        '{"scope":"open","dept":3,"page":1}',
        '{"scope":"open","dept":null,"page":0}',
        '{"scope":"open","dept":null,"page":"2"}',
    ],
)
def test_bad_page_values_read_as_none(value: str) -> None:
    assert ids.read_list_page_value(value) is None


# --- show -------------------------------------------------------------------------------


def detail(entries: int, line: str = "claimed") -> CaseDetail:
    timeline = tuple(
        TimelineEntry(AT + timedelta(minutes=i), "U1" if i % 2 else None, (f"{line} {i}",))
        for i in range(entries)
    )
    return CaseDetail(summary(42, owner="U1"), HOSTILE, ("billing", HOSTILE), timeline)


def test_show_renders_the_case_and_its_timeline_newest_last() -> None:
    fallback, blocks = show.case_detail(detail(3))
    checked_blocks(blocks)
    assert_no_raw_controls(blocks)
    assert "<!channel>" not in fallback
    timeline = blocks[-1]["text"]["text"].splitlines()
    assert len(timeline) == 3
    assert timeline[0].endswith("Casebot · claimed 0")
    assert timeline[1].endswith("<@U1> · claimed 1")
    assert timeline[2].endswith("Casebot · claimed 2")
    assert timeline[0].startswith("<!date^1795424400^{date_short} {time}|2026-11-23 09:00 UTC>")


def timeline_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [header] = [i for i, b in enumerate(blocks) if b["type"] == "header"]
    return blocks[header + 1 :]


def test_show_clips_a_long_timeline_keeping_the_newest() -> None:
    _, blocks = show.case_detail(detail(2000, line=HOSTILE * 2))
    checked_blocks(blocks)
    assert_no_raw_controls(blocks)
    timeline = timeline_of(blocks)
    [omitted] = texts(timeline[0])
    shown = [line for b in timeline[1:] for line in b["text"]["text"].split("\n")]
    assert omitted == f"{2000 - len(shown)} earlier entries not shown"
    assert shown[-1].endswith(" 1999")
    assert shown[0].endswith(f" {2000 - len(shown)}")
    assert sum(len(t) for t in texts(timeline)) <= show.TIMELINE_CHARS + 100


def test_show_counts_one_hidden_entry_in_the_singular() -> None:
    """Lines differ in length, so find the smallest timeline that hides exactly one."""
    for n in range(2, 200):
        timeline = timeline_of(show.case_detail(detail(n, line=HOSTILE * 2))[1])
        if timeline[0]["type"] == "context":
            break
    assert texts(timeline[0]) == ["1 earlier entry not shown"]


def test_show_clips_each_huge_timeline_line() -> None:
    _, blocks = show.case_detail(detail(200, line="&" * 5000))
    checked_blocks(blocks)
    for section in timeline_of(blocks)[1:]:
        for line in section["text"]["text"].split("\n"):
            assert line.endswith("&amp;…")
            assert len(line.split(" · ")[-1]) <= show.TIMELINE_LINE_CHARS


def test_show_writes_people_as_mentions_and_never_cuts_one() -> None:
    limit = show.TIMELINE_LINE_CHARS
    entries = (
        TimelineEntry(AT, "U1", ("Assigned to ", Person("U2"), " (was ", Person("U3"), ")")),
        TimelineEntry(AT, "U1", ("x" * (limit - 4), Person("U0BEN0002"), " tail")),
        TimelineEntry(AT, None, ("Note: <@U0BOSS01>\n  and   more",)),
    )
    _, blocks = show.case_detail(CaseDetail(summary(1), "hi", (), entries))
    lines = [line.split(" · ", 2)[2] for line in timeline_of(blocks)[0]["text"]["text"].split("\n")]
    assert lines == [
        "Assigned to <@U2> (was <@U3>)",
        "x" * (limit - 4) + "…",
        "Note: &lt;@U0BOSS01&gt; and more",
    ]


def test_show_accepts_naive_utc_times() -> None:
    entry = TimelineEntry(datetime(2026, 11, 23, 9, 0), None, ("opened",))
    _, blocks = show.case_detail(CaseDetail(summary(1), "hi", (), (entry,)))
    assert "2026-11-23 09:00 UTC" in blocks[-1]["text"]["text"]


def test_show_without_history() -> None:
    _, blocks = show.case_detail(CaseDetail(summary(1), "", (), ()))
    checked_blocks(blocks)
    assert texts(blocks)[-1] == "No changes yet."
