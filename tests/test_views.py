"""The view types shared by the web pages and the datapacks."""

from __future__ import annotations

from gpequity.views import Column, figure_columns


def test_figure_columns_name_the_row_then_the_figures() -> None:
    assert figure_columns("Reason", "Practices", "Payments") == (
        Column("Reason"),
        Column("Practices", numeric=True),
        Column("Payments", numeric=True),
    )
    assert figure_columns("Only") == (Column("Only"),)
