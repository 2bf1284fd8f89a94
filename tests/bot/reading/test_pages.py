"""The read side on both databases: who sees which cases, in what order, a page at a time,
and a case's history as plain lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot import cases, events, intake
from bot.ids import Surface
from bot.posts import Author, IncomingPost
from bot.reading import CaseSummary, ListQuery, ListScope, Person, pages
from bot.sla.sweep import sweep
from bot.slack.presenters import plain_line
from bot.slack.refusals import refusal
from bot.timesource import ManualTime
from config.schema import CasebotConfig, RoutingRule
from storage.db import Database

pytestmark = pytest.mark.both_db

ANA, BEN = "U0ANA0001", "U0BEN0002"
SUPPORT_MANAGER = "U0SUPMGR01"
BIG = 100


@pytest.fixture
def rules(config: CasebotConfig) -> CasebotConfig:
    """Priorities and departments chosen by a marker word, so tests read at a glance."""
    tagged = [
        RoutingRule(name=p, department=d, keywords=[f"[{p}]"], priority=p)  # type: ignore[arg-type]
        for p, d in [("urgent", "support"), ("high", "billing"), ("low", "support")]
    ]
    billing = RoutingRule(name="billing", department="billing", keywords=["[billing]"])
    return config.model_copy(update={"routing": [*tagged, billing]})


class World:
    """Opens cases through intake and acts on them through the lifecycle, as people would."""

    def __init__(self, db: Database, config: CasebotConfig, time_source: ManualTime) -> None:
        self.db, self.config, self.time_source = db, config, time_source
        self.posts = 0

    def post(
        self, text: str, *, name: str = "Dana", after: timedelta = timedelta(minutes=1)
    ) -> int:
        self.time_source.advance(after)
        self.posts += 1
        post = IncomingPost(
            source="web",
            external_id=f"p{self.posts}",
            text=text,
            author=Author(id=f"a{self.posts}", handle=f"@c{self.posts}", name=name),
        )
        return intake.store(self.db, post, now=self.time_source.now(), config=self.config).case_id

    def act(self, fn: Any, case_id: int, actor: str = ANA, **kw: Any) -> None:
        self.time_source.advance(timedelta(seconds=30))
        with self.db.session() as s:
            fn(s, case_id, actor=actor, surface=Surface.COMMAND, now=self.time_source.now(), **kw)

    def page(self, scope: ListScope, *, dept: str | None = None, page: int = 1, size: int = BIG):
        with self.db.session() as s:
            query = ListQuery(scope, dept, page)
            return pages.case_page(
                s, query, ANA, self.config, self.time_source.now(), page_size=size
            )

    def refs(self, scope: ListScope, **kw: Any) -> list[str]:
        return [c.ref for c in self.page(scope, **kw).cases]


@pytest.fixture
def world(db: Database, rules: CasebotConfig, time_source: ManualTime) -> World:
    return World(db, rules, time_source)


@pytest.fixture
def five(world: World) -> World:
    """C-1 normal, C-2 urgent, C-3 low, C-4 normal (billing), C-5 high (billing)."""
    for text in ("Where is it?", "[urgent] down", "[low] fyi", "[billing] bill", "[high] x"):
        world.post(text)
    return world


def test_open_cases_are_worked_by_priority_then_oldest_first(five: World) -> None:
    page = five.page(ListScope.OPEN)
    assert [c.ref for c in page.cases] == ["C-2", "C-5", "C-1", "C-4", "C-3"]
    assert [c.priority for c in page.cases] == ["urgent", "high", "normal", "normal", "low"]
    assert page.total == 5


def test_scopes_follow_owner_and_status(five: World) -> None:
    five.act(cases.claim, 1)
    five.act(cases.claim, 5)
    five.act(cases.claim, 2, actor=BEN)
    five.act(cases.resolve, 4, config=five.config)
    five.act(cases.resolve, 5, config=five.config)

    assert five.refs(ListScope.MINE) == ["C-1"], "resolved cases are off my list"
    assert five.refs(ListScope.UNCLAIMED) == ["C-3"]
    assert five.refs(ListScope.OPEN) == ["C-2", "C-1", "C-3"]
    five.act(cases.reopen, 5, config=five.config)
    assert five.refs(ListScope.MINE) == ["C-5", "C-1"]


def test_breaching_is_oldest_first_and_skips_paused_cases(five: World) -> None:
    assert five.refs(ListScope.BREACHING) == [], "no clock has warned yet"
    five.act(cases.wait_on_customer, 1)
    five.act(cases.resolve, 3, config=five.config)
    five.time_source.advance(timedelta(days=3))
    with five.db.session() as s:
        sweep(s, now=five.time_source.now(), config=five.config)
    assert five.refs(ListScope.BREACHING) == ["C-2", "C-4", "C-5"]


def test_department_filter_and_display_name(five: World) -> None:
    page = five.page(ListScope.OPEN, dept="billing")
    assert [c.ref for c in page.cases] == ["C-5", "C-4"] and page.total == 2
    assert {(c.department, c.department_name) for c in page.cases} == {("billing", "Billing")}
    with pytest.raises(pages.UnknownDepartment) as err:
        five.page(ListScope.OPEN, dept="nope")
    assert "support, billing" in refusal(err.value)


def test_pages_cover_every_case_once_in_order(world: World) -> None:
    for n in range(7):
        world.post("[urgent] now" if n % 3 == 0 else f"case {n}")
    everything = world.refs(ListScope.OPEN)
    pages = [world.page(ListScope.OPEN, page=p, size=3) for p in (1, 2, 3, 4)]
    assert [len(p.cases) for p in pages] == [3, 3, 1, 0]
    assert {p.total for p in pages} == {7}
    assert [c.ref for p in pages for c in p.cases] == everything


def test_same_moment_cases_keep_a_stable_order(world: World) -> None:
    for _ in range(4):
        world.post("same time", after=timedelta(0))
    first, second = (world.page(ListScope.OPEN, page=p, size=2) for p in (1, 2))
    assert [c.ref for c in (*first.cases, *second.cases)] == ["C-1", "C-2", "C-3", "C-4"]


def test_list_lines_mask_customer_text(world: World) -> None:
    world.post("Call me on +44 20 7946 0958 or mail jane.doe@example.com", name="Jane Doe")
    [line] = world.page(ListScope.OPEN).cases
    assert line == CaseSummary(
        case_id=1,
        ref="C-1",
        priority="normal",
        status="open",
        owner_id=None,
        department="support",
        customer="Jane Doe",
        excerpt=line.excerpt,
        sla_text="first response due in 4 h · resolution due in 3 d",
        url=None,
        department_name="Customer Support",
    )
    assert "jane.doe@" not in line.excerpt and "7946 0958" not in line.excerpt
    assert "@example.com" in line.excerpt and "[phone …58]" in line.excerpt


def test_case_detail_tells_its_history_in_order(world: World) -> None:
    world.post("Refund me, card 4111 1111 1111 1111 [billing]")
    world.post("And a second thing")
    world.act(cases.claim, 1)
    world.act(cases.note, 1, text="Called the bank")
    world.act(cases.assign, 1, to=BEN, config=world.config)
    world.act(cases.resolve, 1, root_cause=None, note="refunded", config=world.config)
    with world.db.session() as s:
        detail = pages.case_detail(s, 1, world.config, world.time_source.now(), present=plain_line)
    assert "4111 1111 1111 1111" not in detail.text and detail.text.startswith("Refund me")
    assert detail.summary.status == "resolved" and detail.summary.owner_id == BEN
    assert [(e.actor, e.line) for e in detail.timeline] == [
        (None, ("Opened in billing, normal priority (rule billing)",)),
        (ANA, ("Claimed",)),
        (ANA, ("Note: Called the bank",)),
        (ANA, ("Assigned to ", Person(BEN), " (was ", Person(ANA), ")")),
        (ANA, ("Resolved · refunded",)),
    ]
    times = [e.at for e in detail.timeline]
    assert times == sorted(times)


def test_case_detail_of_a_missing_case_is_a_domain_error(world: World) -> None:
    with world.db.session() as s, pytest.raises(events.CaseNotFound):
        pages.case_detail(s, 42, world.config, world.time_source.now(), present=plain_line)


def home(world: World, user: str, limit: int = BIG) -> Any:
    with world.db.session() as s:
        return pages.home_content(s, user, world.config, world.time_source.now(), limit=limit)


def test_home_shows_my_cases_my_queue_and_the_oldest(five: World) -> None:
    five.act(cases.claim, 1)
    five.act(cases.wait_on_customer, 1)
    five.time_source.advance(timedelta(days=3))
    with five.db.session() as s:
        sweep(s, now=five.time_source.now(), config=five.config)
    content = home(five, ANA)
    assert [c.ref for c in content.mine] == ["C-1"]
    assert (content.queue_department, content.queue_department_name) == ("billing", "Billing")
    assert [c.ref for c in content.queue] == ["C-5", "C-4"], "busiest queue: 2 vs 2, by key"
    assert [c.ref for c in content.breaching] == ["C-2", "C-3", "C-4", "C-5"]


def test_home_queue_of_a_manager_is_their_department(five: World) -> None:
    content = home(five, SUPPORT_MANAGER)
    assert content.queue_department == "support"
    assert [c.ref for c in content.queue] == ["C-2", "C-1", "C-3"]
    assert content.mine == ()


def test_home_falls_back_to_the_default_department_and_bounds_groups(world: World) -> None:
    assert home(world, ANA).queue_department == "support"
    for _ in range(4):
        world.post("[billing] again")
    world.time_source.advance(timedelta(days=3))
    with world.db.session() as s:
        sweep(s, now=world.time_source.now(), config=world.config)
    content = home(world, ANA, limit=3)
    assert content.queue_department == "billing"
    assert (len(content.queue), len(content.breaching)) == (3, 3)


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_reads_cost_the_same_few_queries_for_any_page_size(
    world: World, statements: list[str]
) -> None:
    """No query per case: a page and App Home read in a fixed number of statements."""
    costs = []
    for _ in range(2):
        for _ in range(5):
            world.post("[billing] more")
        statements.clear()
        world.page(ListScope.OPEN)
        home(world, ANA)
        costs.append(len([q for q in statements if q.lstrip().upper().startswith("SELECT")]))
    assert costs[0] == costs[1] <= 12
