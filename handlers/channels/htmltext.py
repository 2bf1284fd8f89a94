"""HTML to plain text for posts that arrive as markup (Mastodon statuses, HTML-only mail).

Built on the stdlib tokenizer, never a regex: markup is dropped, entities unescaped,
line structure kept, and the contents of script/style never become customer text.
Nothing is rendered, so the result is as inert as any other untrusted text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BREAKS = {"br"}
_BLOCKS = {
    "p", "div", "li", "ul", "ol", "blockquote", "pre", "tr", "table",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer",
}  # fmt: skip
_SILENT = {"script", "style", "head", "title", "template", "noscript"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._silent = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SILENT:
            self._silent += 1
            return
        if tag == "pre":
            self._pre += 1
        if tag in _BREAKS:
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SILENT:
            self._silent = max(0, self._silent - 1)
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._silent:
            return
        # Outside <pre>, source newlines are layout, not line breaks: only tags break lines.
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    raw = "".join(collector.parts).replace("\r\n", "\n").replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in raw.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
