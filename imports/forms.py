"""The HR page's upload form, and the column mapping as people type it ("Column=field" lines),
shared with the API."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .choices import ImportKind

MSG_BAD_MAPPING_LINE = (
    'Write one mapping per line as Column=field (e.g. "Emp Code=employee_id"), not "{line}".'
)


def parse_mapping(text: str) -> dict[str, str]:
    """{"Column as found": "field"} from "Column=field" lines; blank lines are skipped and an
    empty field ignores the column."""
    mapping = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        column, separator, field = line.rpartition("=")
        if not separator or not column.strip():
            raise ValidationError(
                MSG_BAD_MAPPING_LINE.format(line=line.strip()), code="bad_mapping"
            )
        mapping[column.strip()] = field.strip()
    return mapping


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,
        label="File",
        help_text="CSV, or an Excel or OpenDocument workbook (.xlsx, .xls, .ods).",
    )
    kind = forms.ChoiceField(
        label="What the file holds", choices=ImportKind.choices, initial=ImportKind.ROSTER
    )
    sync = forms.BooleanField(
        label="The file is the whole roster (sync)",
        required=False,
        help_text=(
            "Staff missing from the file are deactivated, never deleted; staff managed "
            "manually are kept. Roster only."
        ),
    )
    create_missing = forms.BooleanField(
        label="Create buildings and positions the file names but the service does not know",
        required=False,
        help_text="Roster only.",
    )
    skip_invalid = forms.BooleanField(
        label="Commit the valid rows even if other rows have errors",
        required=False,
    )
    mapping = forms.CharField(
        label="Column mapping (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            'One per line, Column=field, for columns with unusual names, e.g. "Emp '
            'Code=employee_id".'
        ),
    )

    def clean_mapping(self) -> dict[str, str]:
        return parse_mapping(self.cleaned_data["mapping"])
