"""`sources.<name>.acknowledge` and PUBLIC_URL: checked when they load, one line naming
the key for each mistake."""

from __future__ import annotations

import re

import pytest

from bot.check import notes
from bot.deps import Deps
from config.errors import ConfigError
from config.load import parse_config
from config.settings import Settings
from tests.conftest import EXAMPLE_CONFIG

MINIMAL = """
default_department: support
departments:
  support: {name: Support, channel: C0SUPPORT01}
sources:
  email:
    reply: {kind: webhook, url: https://crm.example.com/replies}
"""


def with_ack(value: str) -> str:
    return MINIMAL + f"    acknowledge: {value}\n"


def test_true_means_the_built_in_text() -> None:
    config = parse_config(with_ack("true"))
    ack = config.sources["email"].acknowledge
    assert ack is not None and ack.template is None
    assert parse_config(with_ack("false")).sources["email"].acknowledge is None
    assert parse_config(MINIMAL).sources["email"].acknowledge is None


def test_a_template_with_the_known_placeholders_loads() -> None:
    template = '"Hi {name}, {case}: by {promise}. {{braces}}\\n{status_url}"'
    ack = parse_config(with_ack(f"{{template: {template}}}")).sources["email"].acknowledge
    assert ack is not None
    assert ack.template == "Hi {name}, {case}: by {promise}. {{braces}}\n{status_url}"


USE = "use {name}, {case}, {promise}, {status_url}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            '{template: "Hi {name}, order {order}"}',
            f"sources.email.acknowledge.template: unknown placeholder {{order}}; {USE}",
        ),
        (
            '{template: "Hi {name.__class__}"}',
            f"sources.email.acknowledge.template: unknown placeholder {{name.__class__}}; {USE}",
        ),
        (
            '{template: "Hi {} and {0}"}',
            f"sources.email.acknowledge.template: unknown placeholder {{}}; {USE}",
        ),
        (
            '{template: "Hi {name!r}"}',
            "sources.email.acknowledge.template: write {name} without a format or conversion",
        ),
        (
            '{template: "Hi {name:>20}"}',
            "sources.email.acknowledge.template: write {name} without a format or conversion",
        ),
        (
            '{template: "Hi {name"}',
            "sources.email.acknowledge.template: expected '}' before end of string"
            " (write a literal brace as {{ or }})",
        ),
        (
            '{template: "Track it: {status_url}"}',
            "sources.email.acknowledge.template: put {status_url} on a line of its own",
        ),
        ('{template: "  "}', "sources.email.acknowledge.template: is empty"),
        ("{text: hi}", "sources.email.acknowledge.text: unknown key (check the spelling)"),
        ("sure", 'sources.email.acknowledge: use true, or {template: "'),
    ],
)
def test_template_mistakes_name_the_key(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(with_ack(value), "casebot.yaml")
    assert str(err.value).startswith(f"casebot.yaml: {message}")
    assert len(str(err.value).splitlines()) == 1


def test_acknowledging_needs_a_reply_connector() -> None:
    text = MINIMAL.replace(
        "    reply: {kind: webhook, url: https://crm.example.com/replies}\n",
        "    acknowledge: true\n",
    )
    with pytest.raises(ConfigError) as err:
        parse_config(text, "casebot.yaml")
    assert str(err.value) == (
        "casebot.yaml: sources.email.acknowledge: needs a reply connector (`reply:`)"
        " to send the acknowledgement"
    )


def test_the_examples_commented_sources_load_once_uncommented() -> None:
    """What the example config shows under `# sources:` is valid as written."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    block = text[text.index("# sources:") : text.index("\n\n", text.index("# sources:"))]
    uncommented = "\n".join(
        re.sub(r"^# ?", "", line) for line in block.splitlines() if not re.match(r"^#\s+#", line)
    )
    config = parse_config(text + "\n" + uncommented + "\n")
    assert config.sources["email"].acknowledge is not None
    form = config.sources["form"].acknowledge
    assert form is not None and form.template and "{status_url}" in form.template


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://care.example.com/", "https://care.example.com"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("https://example.com/casebot", "https://example.com/casebot"),
        ("", None),
    ],
)
def test_public_url_is_a_base_address(given: str, expected: str | None) -> None:
    assert Settings(public_url=given).public_url == expected


@pytest.mark.parametrize(
    "bad", ["care.example.com", "ftp://x.example", "https://x.example/?a=1", "https://a b.example"]
)
def test_public_url_mistakes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="must be the http"):
        Settings(public_url=bad)


def test_check_says_when_acknowledgements_go_out_without_a_link(deps: Deps) -> None:
    config = parse_config(with_ack("true"))
    unset = Deps(deps.settings, config, deps.db, deps.time)
    assert notes(unset) == [
        "note: PUBLIC_URL is not set, so acknowledgements (sources email) go out without a"
        " status page link, and /case show has none"
    ]
    settings = deps.settings.model_copy(update={"public_url": "https://care.example.com"})
    assert notes(Deps(settings, config, deps.db, deps.time)) == []
    assert notes(deps) == []  # the example config acknowledges nowhere
