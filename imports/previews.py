"""A preview read back from its ImportRun: what the command, the HR page and the API show before
a commit. Each kind of import adds what its change set holds; nothing here queries the
database."""

from __future__ import annotations

from dataclasses import dataclass

from .models import ImportRun
from .readers import RowError


@dataclass(frozen=True)
class StoredPreview:
    run: ImportRun

    @property
    def change_set(self) -> dict:
        return self.run.change_set

    @property
    def counts(self) -> dict:
        return self.run.counts

    @property
    def errors(self) -> list[RowError]:
        return [RowError.from_dict(error) for error in self.run.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.run.errors)

    @property
    def creates(self) -> list[dict]:
        return self.change_set.get("create", [])

    @property
    def can_commit(self) -> bool:
        """Whether a commit may go ahead as previewed (a confirmation aside): no errors, or
        only errors in rows to skip."""
        return not self.has_errors or bool(self.run.options.get("skip_invalid"))
