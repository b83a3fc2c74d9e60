"""CSV downloads: an attachment, written by the project's formula-safe CSV writer."""

from __future__ import annotations

from gpequity.web.downloads import csv_response


def test_csv_response_is_an_attachment_with_exact_text() -> None:
    response = csv_response([["a", 1, None], ["b, c", 2, "x"]], ["name", "n", "note"], "t.csv")

    assert response.headers["content-disposition"] == 'attachment; filename="t.csv"'
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert bytes(response.body).decode() == 'name,n,note\r\na,1,\r\n"b, c",2,x\r\n'


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    response = csv_response([["=HYPERLINK(1)", "@SUM(A1)", "plain", 7]], list("abcd"), "t.csv")

    assert bytes(response.body).decode().splitlines()[1] == "'=HYPERLINK(1),'@SUM(A1),plain,7"
