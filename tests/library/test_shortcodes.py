"""Shortcodes: read with their defaults, checked when the library loads."""

from __future__ import annotations

import pytest

from gpequity.library.shortcodes import (
    SHORTCODES,
    ShortcodeProblem,
    find_shortcodes,
    parse_shortcode,
)


def test_a_shortcode_is_read_with_its_defaults() -> None:
    code = parse_shortcode('{{< quintile-table year="2022/23" >}}', line=7)

    assert code.name == "quintile-table"
    assert dict(code.params) == {"year": "2022/23", "total": "core", "exclude-prescribing": "no"}
    assert code.line == 7


@pytest.mark.parametrize(
    "text",
    [
        '{{< quintile-table year="latest" >}}',
        '  {{<quintile-table   year="22-23"   total="incl_covid">}}  ',
        '{{< quintile-table exclude-prescribing="yes" >}}',
        "{{< trend-table >}}",
        '{{< trend-table total="incl_covid_pcn" >}}',
        "{{< national-summary >}}",
    ],
)
def test_valid_shortcodes(text: str) -> None:
    assert parse_shortcode(text, line=1).name in SHORTCODES


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{< quintile-table", "a shortcode is written"),
        ('{{< quintile-table year="latest" year="2022/23" >}}', "given 'year' twice"),
        ('{{< trend-table year="latest" >}}', "has no parameter 'year'"),
        ('{{< quintile-table total="everything" >}}', "must be one of core, incl_covid"),
        ('{{< quintile-table year="2022/24" >}}', "must be 'latest' or a financial year"),
        ("{{< Quintile-Table >}}", "a shortcode is written"),
    ],
)
def test_invalid_shortcodes(text: str, message: str) -> None:
    with pytest.raises(ShortcodeProblem, match=message):
        parse_shortcode(text, line=3)


def test_shortcodes_are_found_with_their_file_lines_outside_code_blocks() -> None:
    markdown = (
        "Text\n\n{{< trend-table >}}\n\n~~~\n{{< nonsense >}}\n~~~\n\n{{< national-summary >}}\n"
    )

    found = find_shortcodes(markdown, first_line=10)

    assert [(i, s.name, s.line) for i, s in found] == [
        (2, "trend-table", 12),
        (8, "national-summary", 18),
    ]
