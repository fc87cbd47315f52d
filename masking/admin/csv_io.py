"""CSV import and export in the admin, for the pool and for sessions.

Import is two steps: upload, then a preview that lists every bad row with its reason; nothing is
written until staff confirm a file with no bad rows, and then all rows are written in one
transaction or none is. The file travels back with the confirmation (base64 in the form), so any
app server can take the second step.
"""

import base64
import csv
import io
from dataclasses import dataclass, field

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from masking.privacy import numbers_shown_to
from masking.spreadsheets import csv_stream
from masking.timezones import zone_label

# The confirmation carries the file back base64-encoded (4/3 larger) in a staff form, which
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) bounds: 1.5 MiB of CSV is some 50,000 numbers.
MAX_BYTES = 1536 * 1024
# Rows read from the database at a time while an export streams (and its prefetches, per chunk).
EXPORT_CHUNK = 2000


# A preview names this many good rows with their values as understood; the count covers the rest.
PREVIEW_ROWS = 100

NOT_UTF8 = (
    "the file is not UTF-8 (it has characters saved in another encoding, such as é from Excel's "
    "plain “CSV”). Save it as UTF-8: in Excel, File › Save As › “CSV UTF-8 (Comma delimited)”; "
    "in LibreOffice, Save As › Text CSV with Character set “Unicode (UTF-8)”; in Numbers, "
    "Export To › CSV with Text Encoding “Unicode (UTF-8)”."
)


@dataclass
class RowCheck:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    # Column -> the value as it will be written, where that is not what was typed (times).
    understood: dict[str, str] = field(default_factory=dict)


def error_lines(exc: ValidationError) -> list[str]:
    """ "expires_at: …" per column, in words; errors of the row as a whole without a key."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [
        " ".join(messages) if key == NON_FIELD_ERRORS else f"{key}: {' '.join(messages)}"
        for key, messages in exc.message_dict.items()
    ]


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A .csv file, UTF-8, with a header row.")


def read_rows(data: bytes, columns: list[str]) -> list[dict]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(NOT_UTF8) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or []) and not c.endswith("?")]
    if missing:
        raise ValidationError(f"the header row lacks {', '.join(missing)}.")
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


class CsvImportExportMixin:
    """Add /import/ and /export/ to a ModelAdmin. Subclasses give the columns and the rules."""

    csv_columns: list[str] = []  # "name?" marks an optional column
    # Exported after the import columns, read-only facts a person needs (a session's state);
    # the importer ignores them, so an export can be edited and imported again.
    csv_export_extra_columns: list[str] = []
    # Columns holding people's numbers: exported as the disclosure policy lets the viewer see them.
    csv_number_columns: set[str] = set()
    change_list_template = "admin/csv_change_list.html"

    def csv_check(self, rows: list[dict]) -> list[RowCheck]:
        raise NotImplementedError

    def csv_column_help(self) -> dict[str, str]:
        """Column -> what it holds and how to write it, shown on the import page."""
        return {}

    def csv_write(self, row: dict, request) -> None:
        raise NotImplementedError

    def csv_export_row(self, obj) -> list:
        raise NotImplementedError

    def csv_export_rows(self, queryset):
        """Each exported row, read a chunk at a time. A large export overrides it to read values
        instead of model instances (a session's three numbers parsed as phone numbers cost more
        than the query)."""
        for obj in queryset.iterator(chunk_size=EXPORT_CHUNK):
            yield self.csv_export_row(obj)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied  # the admin's own 403 page (masking.errors)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import {self.opts.verbose_name_plural} from CSV",
            "columns": [c.rstrip("?") for c in self.csv_columns],
            "column_help": [
                (c.rstrip("?"), c.endswith("?"), self.csv_column_help().get(c.rstrip("?"), ""))
                for c in self.csv_columns
            ],
            "zone": zone_label(),
        }
        form = UploadForm(request.POST or None, request.FILES or None)
        data = None
        if request.POST.get("confirm"):
            data = base64.b64decode(request.POST["payload"])
        elif request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_BYTES:
                form.add_error("file", "The file is larger than 1.5 MiB: split it.")
            else:
                data = upload.read()
        if data is not None:
            try:
                checks = self.csv_check(read_rows(data, self.csv_columns))
            except (csv.Error, ValidationError) as exc:
                why = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                form.add_error("file", f"Not a readable CSV file: {why}")
                checks = None
            if checks is not None:
                bad = [c for c in checks if c.errors]
                if request.POST.get("confirm") and not bad:
                    return self._write_all(request, checks)
                context.update(
                    checks=checks,
                    bad=bad,
                    good=len(checks) - len(bad),
                    preview=checks[:PREVIEW_ROWS] if not bad else [],
                    understood_columns=sorted({k for c in checks for k in c.understood}),
                    payload=base64.b64encode(data).decode(),
                )
        context["form"] = form
        return TemplateResponse(request, "admin/csv_import.html", context)

    def _write_all(self, request, checks):
        try:
            with transaction.atomic():
                for check in checks:
                    try:
                        self.csv_write(check.values, request)
                    except ValidationError as exc:
                        raise ValidationError(
                            f"line {check.line}: {'; '.join(exc.messages)}"
                        ) from exc
        except Exception as exc:  # all or nothing: say which row stopped it
            reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, f"Nothing was imported: {reason}", messages.ERROR)
            return HttpResponseRedirect(request.path)
        self.message_user(request, f"Imported {len(checks)} rows.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        )

    def export_view(self, request):
        if not self.has_view_permission(request):
            return HttpResponseRedirect("../")
        # The list as filtered and searched (its query string travels with the link).
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect("../")
        return self._export(request, queryset)

    @admin.action(description="Export selected as CSV")
    def export_csv(self, request, queryset):
        return self._export(request, queryset)

    def _export(self, request, queryset):
        columns = [c.rstrip("?") for c in self.csv_columns] + self.csv_export_extra_columns
        personal = [i for i, column in enumerate(columns) if column in self.csv_number_columns]
        shown = numbers_shown_to(request.user)  # the viewer's disclosure, decided once

        def rows():
            for row in self.csv_export_rows(queryset):
                for i in personal:
                    row[i] = shown(row[i])
                yield row

        return csv_stream(filename=f"{self.opts.model_name}s.csv", header=columns, rows=rows())
