"""The completions workbook and the Outstanding list (stub: replaced by the full workbook)."""

from __future__ import annotations

from .exporters import Exporter


class CompletionsWorkbook(Exporter):
    def __init__(self, report, *, sessions) -> None:
        self.report = report
        self.sessions = sessions


class OutstandingExporter(Exporter):
    def __init__(self, report, *, sessions) -> None:
        self.report = report
        self.sessions = sessions
