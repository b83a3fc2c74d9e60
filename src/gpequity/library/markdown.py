"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises.

Resources are written by people, and a pasted snippet can carry ``<script>``, an
``onclick=`` attribute or a ``javascript:`` link. Raw HTML is therefore allowed through the
Markdown renderer but everything it produces goes through nh3 (the Rust ``ammonia`` sanitiser)
with an allowlist: the tags an article needs, no event handlers or styles, links only to
``http(s)``, ``mailto`` or this site, images only from this site (a page must work offline).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

#: Tags an article may use. No ``h1``: the page's title is its only level-1 heading.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr",
        "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span",
        "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: The design system's classes the renderer puts on tables; nh3 keeps only these.
ALLOWED_CLASSES = {
    "table": {"nhsuk-table"},
    "thead": {"nhsuk-table__head"},
    "tbody": {"nhsuk-table__body"},
    "tr": {"nhsuk-table__row"},
    "th": {"nhsuk-table__header"},
    "td": {"nhsuk-table__cell"},
}
#: What replaces a shortcode line before rendering: a paragraph of its own, found afterwards.
PLACEHOLDER = "GPEQUITYSHORTCODE{n}X"
PLACEHOLDER_TEXT = re.compile(r"GPEQUITYSHORTCODE(\d+)X")
PLACEHOLDER_HTML = re.compile(r"<p>GPEQUITYSHORTCODE(\d+)X</p>\n?")
#: Control characters have no place in an article, and the search snippets use two of them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    classes = {
        "table_open": "nhsuk-table",
        "thead_open": "nhsuk-table__head",
        "tbody_open": "nhsuk-table__body",
        "tr_open": "nhsuk-table__row",
        "th_open": "nhsuk-table__header",
        "td_open": "nhsuk-table__cell",
    }

    def add_class(renderer, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        # Bound to the renderer by add_render_rule, hence ``renderer`` first.
        token = tokens[idx]
        token.attrSet("class", classes[token.type])
        if token.type == "th_open":
            token.attrSet("scope", "col")
        return renderer.renderToken(tokens, idx, options, env)

    for rule in classes:
        md.add_render_rule(rule, add_class)
    return md


_MD = _markdown()


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Images come from this site only: anything else would be fetched from elsewhere.
    if tag == "img" and attribute == "src" and not (value.startswith("/") and "//" not in value):
        return None
    return value


def sanitise(fragment: str) -> str:
    """Return ``fragment`` with every tag, attribute and URL outside the allowlist removed."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(URL_SCHEMES),
        allowed_classes={tag: set(classes) for tag, classes in ALLOWED_CLASSES.items()},
        link_rel="noopener noreferrer",
    )


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, tags removed, entities decoded, whitespace collapsed."""
    text = html.unescape(nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"}))
    return " ".join(text.split())


@dataclass(frozen=True)
class RenderedMarkdown:
    """Sanitised HTML split at the shortcodes (``parts[i]`` is HTML or a shortcode number)."""

    parts: tuple[str | int, ...]
    text: str
    misplaced: tuple[int, ...] = ()
    #: Line indexes (0-based) of level-1 headings (``# Title`` or a ``===`` underline).
    level_one_headings: tuple[int, ...] = ()


def level_one_headings(markdown: str) -> list[int]:
    """Line indexes (0-based) of level-1 headings (``# Title`` or a ``===`` underline)."""
    tokens = _MD.parse(markdown)
    return [t.map[0] for t in tokens if t.type == "heading_open" and t.tag == "h1" and t.map]


def render_markdown(markdown: str, shortcode_lines: list[int]) -> RenderedMarkdown:
    """Render ``markdown`` with the given lines (0-based) set aside as shortcodes.

    Returns the sanitised HTML in parts: fragments of HTML, and between them the number of the
    shortcode that goes there. A shortcode that does not stand on its own between paragraphs
    (inside a list, say), where no figure can go, is listed in ``misplaced``.
    """
    lines = CONTROL_CHARACTERS.sub("", markdown).splitlines()
    for n, index in enumerate(shortcode_lines):
        # Indented as the shortcode was, so one inside a list item stays inside it (and is
        # then reported as misplaced) instead of silently ending the list.
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        lines[index] = "\n" + indent + PLACEHOLDER.format(n=n) + "\n"
    tokens = _MD.parse("\n".join(lines) + "\n")
    # A figure can only go between top-level blocks: a placeholder paragraph inside a list,
    # a quote or a table cell would split that block in two.
    top_level = {
        int(match.group(1))
        for i, token in enumerate(tokens)
        if token.type == "inline"
        and tokens[i - 1].type == "paragraph_open"
        and tokens[i - 1].level == 0
        and (match := PLACEHOLDER_TEXT.fullmatch(token.content))
    }
    rendered = sanitise(_MD.renderer.render(tokens, _MD.options, {}))
    parts: list[str | int] = []
    position = 0
    seen: set[int] = set()
    for match in PLACEHOLDER_HTML.finditer(rendered):
        number = int(match.group(1))
        if number >= len(shortcode_lines) or number in seen or number not in top_level:
            continue  # the author's own text, or a misplaced shortcode: left as it is
        if match.start() > position:
            parts.append(rendered[position : match.start()])
        parts.append(number)
        seen.add(number)
        position = match.end()
    if position < len(rendered):
        parts.append(rendered[position:])
    text_parts = [p for p in parts if isinstance(p, str)]
    return RenderedMarkdown(
        parts=tuple(parts),
        text=plain_text("\n".join(text_parts)),
        misplaced=tuple(n for n in range(len(shortcode_lines)) if n not in seen),
        level_one_headings=tuple(
            t.map[0] for t in tokens if t.type == "heading_open" and t.tag == "h1" and t.map
        ),
    )
