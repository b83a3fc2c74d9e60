"""Markdown is rendered safely: nothing in a resource can run in the reader's browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from gpequity.library import load_resources
from gpequity.library.markdown import render_markdown, sanitise

HOSTILE = """\
Intro <script>alert('script tag')</script> text.

<script src="/static/evil.js"></script>

<a href="javascript:alert('js link')">raw js link</a> and [md js link](javascript:alert(1))
and [encoded](jav&#x09;ascript:alert(2)) and <a href="JaVaScRiPt:alert(3)">caps</a>.

<img src="/static/x.png" onerror="alert('img')" alt="x">
<img src="https://tracker.example/pixel.gif" alt="external">
<p onclick="alert('click')" onmouseover="alert('over')" style="color:red">handlers</p>
<iframe src="https://example.org"></iframe>
<object data="x.swf"></object><embed src="x.swf">
<form action="/x"><input name="a"><button formaction="javascript:alert(4)">go</button></form>
<svg onload="alert('svg')"><script>alert('in svg')</script></svg>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
<style>body { display: none }</style>
<div><a href="https://example.org/ok" target="_blank">a fine link</a></div>
"""

#: The ``make_resource`` fixture (conftest.py): writes a resource file.
WriteResource = Callable[..., Path]


#: Elements that run, load or submit something.
ACTIVE_TAGS = {
    "script", "iframe", "object", "embed", "form", "input", "button", "svg", "style", "link",
    "meta", "base", "frame", "frameset", "applet", "math", "template",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster"}


class ActiveParts(HTMLParser):
    """Collects everything in an HTML fragment that a browser could run or fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag} {name}=")
            if name in URL_ATTRIBUTES and value is not None:
                # A URL's scheme, as browsers read it (control characters and spaces dropped);
                # "jav%09ascript:" has none: it is a relative path.
                scheme = re.match(
                    r"([a-z][a-z0-9+.-]*):", "".join(c for c in value if c > " ").lower()
                )
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.found.append(f"{tag} {name}={value}")
                if tag == "img" and not value.startswith("/"):
                    self.found.append(f"external image {value}")


def active_parts(html: str) -> list[str]:
    parser = ActiveParts()
    parser.feed(html)
    parser.close()
    return parser.found


def rendered(markdown: str) -> str:
    return "".join(p for p in render_markdown(markdown, []).parts if isinstance(p, str))


def test_scripts_handlers_and_javascript_links_are_removed() -> None:
    html = rendered(HOSTILE)

    assert active_parts(html) == []
    # What is safe survives: text, a local image, an https link (made safe to open).
    assert "handlers" in html
    assert '<img src="/static/x.png" alt="x">' in html
    assert '<a href="https://example.org/ok" rel="noopener noreferrer">a fine link</a>' in html


def test_markdown_tables_get_the_design_system_classes() -> None:
    html = rendered("| a | b |\n|---|---|\n| 1 | 2 |\n")

    assert '<table class="nhsuk-table">' in html
    assert '<th class="nhsuk-table__header" scope="col">a</th>' in html
    assert '<td class="nhsuk-table__cell">1</td>' in html


def test_classes_other_than_the_design_systems_are_dropped() -> None:
    assert sanitise('<table class="nhsuk-table evil"><tr><td>1</td></tr></table>') == (
        '<table class="nhsuk-table"><tbody><tr><td>1</td></tr></tbody></table>'
    )


def test_the_checker_of_active_parts_finds_them() -> None:
    # The security tests rely on it: it must see what the sanitiser is meant to remove.
    assert active_parts(
        '<script></script><a href=" JavaScript:x" onclick="y">a</a><img src="https://e/x">'
    ) == ["<script>", "a href= JavaScript:x", "a onclick=", "external image https://e/x"]


def test_raw_level_one_headings_are_not_kept_as_headings() -> None:
    assert sanitise("<h1>Title</h1>") == "Title"


def test_a_hostile_resource_file_loads_with_nothing_active(
    tmp_path: Path, make_resource: WriteResource
) -> None:
    make_resource(tmp_path, "hostile.md", HOSTILE, title="'<script>alert(1)</script>'")

    [resource] = load_resources(tmp_path)

    html = "".join(p for p in resource.html_parts if isinstance(p, str))
    assert active_parts(html) == []
    # The title is text: the templates escape it (tests/web/test_library.py checks the page).
    assert resource.meta.title == "<script>alert(1)</script>"
