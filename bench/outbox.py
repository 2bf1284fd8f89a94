"""Outbox delivery under Slack's pacing, and recovery from kill -9 (issue 9).

The real web and worker processes against the Slack stand-in, which limits posts like
Slack (about 1 per second per channel, short bursts, 429 with Retry-After beyond):
- pacing: 60 cards over 3 channels at once → seconds until all are posted, against the
  physical limit (20 per channel at 1 msg/s), and how many 429s Slack answered;
- recovery: 60 cards, the whole process group killed -9 mid-burst and restarted →
  seconds from the restart until the backlog drained, and cards posted twice.

`python -m bench.outbox [--tree PATH]`: PATH is another checkout to measure the same
way (its processes run from there, e.g. main before this change); both are printed
side by side with their ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bot.demo.standin import SlackStandIn
from tests.conftest import ROOT
from tests.faults.delivery import CHANNELS, Casebot, cards, doubled

CARDS = 60
PHYSICAL_LIMIT = CARDS / len(CHANNELS) / 1.0


def _install(tree: Path, tmp: Path, slack: SlackStandIn) -> Casebot:
    url = f"sqlite:///{tmp}/bench.db"
    bot = Casebot(tmp, slack, url, root=tree)
    bot.migrate()
    return bot


def _standin() -> SlackStandIn:
    slack = SlackStandIn()
    slack.post_rate, slack.post_burst, slack.index_delay = 1.0, 3, 1.0
    return slack.start()


def pacing(tree: Path) -> dict[str, float]:
    slack = _standin()
    with tempfile.TemporaryDirectory() as tmp:
        bot = _install(tree, Path(tmp), slack)
        try:
            bot.start(workers=1)
            start = time.monotonic()
            bot.burst(range(CARDS)).shutdown(wait=True)
            while cards(slack) < CARDS:
                assert time.monotonic() - start < 600, "not drained in 10 minutes"
                time.sleep(0.1)
            took = time.monotonic() - start
        finally:
            bot.stop()
            slack.stop()
    return {"drain_s": took, "vs_limit": took / PHYSICAL_LIMIT, "429s": slack.rate_limited}


def recovery(tree: Path) -> dict[str, float]:
    slack = _standin()
    with tempfile.TemporaryDirectory() as tmp:
        bot = _install(tree, Path(tmp), slack)
        try:
            bot.start(workers=1)
            bot.burst(range(CARDS)).shutdown(wait=True)
            while cards(slack) < CARDS // 4:
                time.sleep(0.05)
            bot.kill9()
            bot.start(workers=1)
            restarted = time.monotonic()
            while cards(slack) < CARDS:
                assert time.monotonic() - restarted < 600, "not drained in 10 minutes"
                time.sleep(0.1)
            took = time.monotonic() - restarted
            time.sleep(3)  # a late double would show now
        finally:
            bot.stop()
            slack.stop()
    return {"recover_s": took, "doubles": len(doubled(slack)), "cards": cards(slack)}


def measure(tree: Path) -> dict[str, float]:
    return {**pacing(tree), **recovery(tree)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="another checkout to measure first")
    args = parser.parse_args()
    rows = {}
    if args.tree:
        rows["before"] = measure(args.tree.resolve())
        print("before", rows["before"], flush=True)
    rows["after"] = measure(ROOT)
    print("after", rows["after"], flush=True)
    keys = list(rows["after"])
    print(f"{'':8}" + "".join(f"{k:>12}" for k in keys))
    for name, row in rows.items():
        print(f"{name:8}" + "".join(f"{row[k]:>12.1f}" for k in keys))
    if "before" in rows:
        ratio = [rows["after"][k] / rows["before"][k] if rows["before"][k] else 0 for k in keys]
        print(f"{'ratio':8}" + "".join(f"{r:>12.2f}" for r in ratio))


if __name__ == "__main__":
    main()
