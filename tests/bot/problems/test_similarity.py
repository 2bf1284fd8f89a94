"""Problem detection's pure foundation: normalisation, similarity, the window matcher and
the join/open decision, held to the labelled set's measured quality."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bench.problems_eval import LABELLED, MatcherIndex, Post, load, simulate
from bot.posts import Author, IncomingPost
from bot.problems.detect import Candidate, Join, Nothing, Open, absorb, detect
from bot.problems.similarity import Matcher, normalise, similarity, stems
from bot.problems.text import MAX_TOKENS
from bot.routing import route
from config.load import load_config
from tests.conftest import EXAMPLE_CONFIG

T0 = datetime(2026, 3, 16, 9, tzinfo=UTC)
BRAND = ("brightbox",)


@pytest.fixture(scope="module")
def posts() -> list[Post]:
    return load()


# --- the labelled set ------------------------------------------------------------------


def test_labelled_set_has_the_promised_shape(posts: list[Post]) -> None:
    sizes = Counter(p.cluster for p in posts if p.cluster)
    assert len(posts) >= 200
    assert len(sizes) >= 15 and all(5 <= n <= 25 for n in sizes.values())
    assert sum(p.cluster is None for p in posts) >= 60
    assert sum(p.near is not None for p in posts) >= 30
    assert all(p.near is None or p.cluster is None for p in posts)
    assert len({p.id for p in posts}) == len(posts)
    assert {p.source for p in posts} == {"twitter", "mastodon", "email", "form", "review"}


def test_labelled_tags_are_what_the_example_routing_gives(posts: list[Post]) -> None:
    config = load_config(EXAMPLE_CONFIG)
    for p in posts:
        post = IncomingPost(source=p.source, external_id=p.id, text=p.text, author=Author(id="a"))
        assert frozenset(route(post, "", config).tags) == p.tags, p.id


@pytest.mark.parametrize(
    ("window", "precision", "recall"),
    # Measured (bench.problems_similarity): 3h P 0.935 R 0.915; 2h (the SPEC default)
    # P 0.914 R 0.793, where causes that spread over more than 2h (a depot's delays
    # over five hours) lose their early members before enough similar ones arrive, and
    # the least pure problem (reset e-mails that absorbed "e-mail says delivered" posts)
    # is 56 % one cause.
    [(timedelta(hours=3), 0.9, 0.8), (timedelta(hours=2), 0.9, 0.75)],
    ids=["3h", "2h"],
)
def test_problems_formed_from_the_labelled_arrivals_meet_the_targets(
    posts: list[Post], window: timedelta, precision: float, recall: float
) -> None:
    outcome = simulate(posts, MatcherIndex(Matcher(ignore=BRAND, window=window)))
    assert outcome.precision >= precision
    assert outcome.recall >= recall
    assert outcome.clusters_found >= 16
    assert outcome.purity_min >= 0.5


def test_the_index_finds_what_a_full_scan_finds(posts: list[Post]) -> None:
    matcher = Matcher(ignore=BRAND, window=timedelta(days=3))
    for p in posts:
        matcher.add(p.id, p.text, p.at, p.tags)
    for p in posts:
        assert matcher.similar(p.id) == matcher.brute_force(p.id)


def test_a_post_sharing_one_word_with_a_storm_does_not_join_it(posts: list[Post]) -> None:
    matcher = Matcher(ignore=BRAND)
    storm = [p for p in posts if p.cluster == "app-5.2-checkout"]
    for p in storm:
        matcher.add(p.id, p.text, T0, p.tags, problem="P-1")
    unrelated = [
        "checkout was great, but delivery late",
        "Gift wrap option missing on checkout",
        "Loved the new app design! Quick question about your returns policy",
        "Can I pay on delivery? Never used your site before",
    ]
    for n, text in enumerate(unrelated):
        matcher.add(f"x{n}", text, T0)
        assert isinstance(detect(matcher.similar(f"x{n}")), Nothing), text


# --- normalisation -----------------------------------------------------------------------


def test_normalise_strips_who_and_where_but_keeps_identifiers() -> None:
    text = (
        "<!channel> @BrightboxHelp @ann@mastodon.social see https://t.co/x1 and www.x.com/a "
        "mail bob@example.com: v5.2.0 broke order BB-482913 (£42.50) #checkout 🔥🔥 E-5021"
    )
    assert normalise(text) == "see mail 5.2 broke bb-482913 checkout e-5021"


def test_stems_join_word_forms_and_split_hyphenated_words() -> None:
    assert stems("crashes crashing crashed") == stems("crash")
    assert stems("sign-in loop") == stems("sign in loop")


def test_similarity_is_symmetric_bounded_and_one_for_the_same_post() -> None:
    a = "App 5.2 crashes at checkout"
    b = "since the 5.2 update the app crashes when I pay"
    assert similarity(a, b) == similarity(b, a)
    assert 0 < similarity(a, b) < 1
    assert similarity(a, a) == 1.0
    assert similarity(a, "Where is my parcel from the Leeds depot?") == 0.0


def test_posts_tagged_apart_by_rules_are_not_similar() -> None:
    a, b = "charged twice for my parcel", "my parcel charged twice"
    assert similarity(a, b, frozenset({"billing"}), frozenset({"shipping"})) == 0.0
    assert similarity(a, b, frozenset({"billing"}), frozenset()) == 1.0
    assert similarity(a, b, frozenset({"billing"}), frozenset({"billing", "vip"})) == 1.0


@pytest.mark.parametrize(
    "text",
    ["", "🔥🔥🔥 😡😡", "<!channel>", "<!here> <@U0123> https://x.y/z @someone", "!!! ... ???"],
)
def test_text_with_nothing_to_compare_matches_nothing(text: str) -> None:
    assert normalise(text) == ""
    assert similarity(text, text) == 0.0
    matcher = Matcher()
    matcher.add("a", text, T0)
    matcher.add("b", text, T0)
    assert matcher.similar("a") == [] and matcher.similar_text(text) == []


def test_huge_text_is_cut_before_it_is_compared() -> None:
    huge = "checkout crash " + " ".join(f"word{i}" for i in range(200_000))
    t0 = time.perf_counter()
    tokens = normalise(huge).split()
    score = similarity(huge, huge[:5_000])
    assert time.perf_counter() - t0 < 0.5
    assert len(tokens) == MAX_TOKENS and tokens[:2] == ["checkout", "crash"]
    assert score == 1.0


# --- the matcher -------------------------------------------------------------------------


def test_matcher_forgets_cases_that_left_the_window_or_were_removed() -> None:
    matcher = Matcher(window=timedelta(hours=2))
    matcher.add("old", "promo code SPRING20 rejected", T0)
    matcher.add("gone", "SPRING20 code rejected again", T0 + timedelta(hours=1))
    matcher.add("new", "code SPRING20 says rejected", T0 + timedelta(hours=2, minutes=30))
    assert matcher.expire(T0 + timedelta(hours=2, minutes=30)) == 1
    matcher.remove("gone")
    assert "old" not in matcher and len(matcher) == 1
    assert [c.case_id for c in matcher.similar_text("SPRING20 rejected")] == ["new"]


def test_matcher_reports_each_candidates_problem_and_honours_the_threshold() -> None:
    matcher = Matcher(threshold=0.5)
    matcher.add("c1", "apple pay charged twice", T0, problem="P-3")
    matcher.add("c2", "apple pay double charge refund", T0)
    matcher.add("c3", "apple watch strap broke after a week", T0)
    found = matcher.similar_text("charged twice with apple pay")
    assert [(c.case_id, c.problem) for c in found] == [("c1", "P-3"), ("c2", None)]
    matcher.link("c2", "P-3")
    assert {c.problem for c in matcher.similar_text("charged twice with apple pay")} == {"P-3"}


def test_postings_keep_only_the_most_recent_cases_per_stem() -> None:
    matcher = Matcher(per_token=3)
    for i in range(6):
        matcher.add(f"c{i}", "leeds depot parcel stuck", T0 + timedelta(minutes=i))
    assert [c.case_id for c in matcher.similar_text("parcel stuck at leeds depot")] == [
        "c3",
        "c4",
        "c5",
    ]


def test_re_adding_a_case_replaces_its_text() -> None:
    matcher = Matcher()
    matcher.add("c1", "gift card balance zero", T0)
    matcher.add("c1", "klarna missing at checkout", T0)
    assert len(matcher) == 1
    assert matcher.similar_text("gift card balance zero") == []


# --- the decision ------------------------------------------------------------------------


def _cands(n: int, problem: str | None = None, score: float = 0.5, prefix: str = "c") -> list:
    return [Candidate(f"{prefix}{i}", score, problem) for i in range(n)]


def test_below_min_cases_nothing_happens() -> None:
    assert detect(_cands(3), min_cases=5) == Nothing()


def test_at_min_cases_a_problem_opens_with_the_best_matches_first() -> None:
    cands = [*_cands(3), Candidate("best", 0.9)]
    assert detect(cands, min_cases=5) == Open(cases=("best", "c0", "c1", "c2"))


def test_a_case_similar_to_a_problem_joins_it() -> None:
    cands = [*_cands(2, "P-4"), *_cands(6, prefix="u")]
    assert detect(cands) == Join(problem="P-4", links=2, score=0.5)


def test_one_similar_member_is_not_enough_to_join() -> None:
    assert detect([Candidate("c1", 0.9, "P-4"), *_cands(2, prefix="u")]) == Nothing()
    assert detect([Candidate("c1", 0.9, "P-4")], min_links=1) == Join("P-4", 1, 0.9)


def test_a_case_similar_to_two_problems_picks_the_better_one() -> None:
    more_links = [*_cands(2, "P-1", 0.9), *_cands(3, "P-2", 0.4, prefix="d")]
    assert detect(more_links).problem == "P-2"  # type: ignore[union-attr]
    same_links = [*_cands(2, "P-1", 0.4), *_cands(2, "P-2", 0.7, prefix="d")]
    assert detect(same_links).problem == "P-2"  # type: ignore[union-attr]
    tie = [*_cands(2, "P-9"), *_cands(2, "P-10", prefix="d")]
    assert detect(tie) == detect(list(reversed(tie)))


def test_detect_rejects_settings_that_cannot_mean_a_problem() -> None:
    with pytest.raises(ValueError):
        detect([], min_cases=1)
    with pytest.raises(ValueError):
        detect([], min_links=0)


def test_absorb_links_earlier_cases_with_enough_similar_members() -> None:
    # m1, m2 are the problem; u1 is similar to both, u2 only to u1, u3 to m1 alone.
    graph = {
        "m1": ["u1", "u3"],
        "m2": ["u1"],
        "u1": ["m1", "m2", "u2"],
        "u2": ["u1", "m2"],
        "u3": ["m1"],
    }
    members = {"m1", "m2"}

    def neighbours(case: str) -> list[Candidate]:
        return [Candidate(n, 0.5, "P-1" if n in members else None) for n in graph[case]]

    assert absorb("P-1", ["m1", "m2"], neighbours) == ["u1", "u2"]
    assert absorb("P-1", ["m1", "m2"], neighbours, limit=1) == ["u1"]
    assert absorb("P-1", ["m1", "m2"], neighbours, min_links=3) == []


def test_labelled_file_is_one_json_object_per_line() -> None:
    lines = LABELLED.read_text(encoding="utf-8").splitlines()
    assert all(line.startswith('{"id": "p') for line in lines)
