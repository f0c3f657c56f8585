"""Reads of a holder's statement imports: where one stands."""

import dataclasses
import uuid

from accounting import errors, models

# The refusals an import's answer lists (by line); the count says if more.
REFUSALS_SHOWN = 100


@dataclasses.dataclass(frozen=True)
class ImportStatus:
    """An import with its counts and first refusals.

    Attributes:
        job: The import.
        read: Data rows read so far.
        applied: Rows that became transactions.
        refused: Rows refused, with a reason each.
        refusals: The first :data:`REFUSALS_SHOWN` refusals, by line.
    """

    job: models.Import
    read: int
    applied: int
    refused: int
    refusals: list[models.ImportRefusal]

    @property
    def duplicate(self) -> int:
        """Rows already applied by this import or an earlier one."""
        return max(0, self.read - self.applied - self.refused)


def import_get(*, holder: models.Holder, import_id: str) -> ImportStatus:
    """Returns one of a holder's imports, counted as it stands now.

    A running import's counts are read from its records and refusals
    (what has committed so far); a finished one's were kept when it ended.

    Raises:
        ImportNotFoundError: No such import of this holder.
    """
    try:
        pk = uuid.UUID(import_id)
    except ValueError as error:
        raise errors.ImportNotFoundError() from error
    job = models.Import.objects.filter(holder=holder, pk=pk).first()
    if job is None:
        raise errors.ImportNotFoundError()
    refusals = list(
        models.ImportRefusal.objects.filter(import_job=job).order_by("line")[
            :REFUSALS_SHOWN
        ]
    )
    if job.is_finished:
        return ImportStatus(
            job, job.rows_read, job.rows_applied, job.rows_refused, refusals
        )
    return ImportStatus(
        job,
        job.rows_read,
        models.ImportedRecord.objects.filter(import_job=job).count(),
        models.ImportRefusal.objects.filter(import_job=job).count(),
        refusals,
    )
