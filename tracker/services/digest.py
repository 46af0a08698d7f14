"""The clinicians' daily digest: new flags, and open flags nobody has taken for 3 days."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.clinic_words import FLAG_KIND_LABELS, evidence_text, word_for
from tracker.extensions import db
from tracker.followup.flags import ACTIVE_STATUSES
from tracker.models import Clinic, Flag, Reminder
from tracker.services.notifications import clinicians_of
from tracker.services.outbox import queue_email
from tracker.services.worklist import KIND_ORDER
from tracker.vocabulary import DIGEST, OPEN

UNATTENDED_AFTER = timedelta(days=3)


@dataclass
class DigestRow:
    kind_label: str
    patient_name: str
    external_id: str
    opened_on: str
    evidence: str


def queue_digests(now: datetime) -> int:
    """Queue today's digest for every clinic whose local send hour has come; return how many."""
    queued = 0
    for clinic in db.session.scalars(select(Clinic)):
        local_now = now.astimezone(ZoneInfo(clinic.timezone))
        if local_now.hour < clinic.send_hour:
            continue
        queued += queue_clinic_digest(clinic, local_now.date(), now)
    db.session.commit()
    return queued


def queue_clinic_digest(clinic: Clinic, local_day, now: datetime) -> int:
    already = db.session.scalar(
        select(Reminder.id).where(
            Reminder.clinic_id == clinic.id, Reminder.kind == DIGEST, Reminder.due_on == local_day
        )
    )
    if already is not None:
        return 0
    since = now - timedelta(days=1)
    active = select(Flag.id).where(
        Flag.clinic_id == clinic.id, Flag.status.in_(sorted(ACTIVE_STATUSES))
    )
    new_ids = list(
        db.session.scalars(
            active.where(Flag.opened_at > since).order_by(KIND_ORDER, Flag.opened_at)
        )
    )
    unattended_ids = list(
        db.session.scalars(
            select(Flag.id)
            .where(
                Flag.clinic_id == clinic.id,
                Flag.status == OPEN,
                Flag.opened_at <= now - UNATTENDED_AFTER,
            )
            .order_by(KIND_ORDER, Flag.opened_at)
        )
    )
    if not new_ids and not unattended_ids:
        return 0
    queued = 0
    for user in clinicians_of(clinic.id):
        queue_email(
            DIGEST,
            clinic.id,
            now,
            user_id=user.id,
            due_on=local_day,
            payload={"new": new_ids, "unattended": unattended_ids},
        )
        queued += 1
    return queued


def digest_flags(reminder: Reminder) -> tuple[list[DigestRow], list[DigestRow]]:
    """Load the digest's flags (still scoped to the reminder's clinic) as rows of text, in the
    language of the caller's force_locale."""
    payload = reminder.payload or {}
    wanted = set(payload.get("new", [])) | set(payload.get("unattended", []))
    flags = {
        flag.id: flag
        for flag in db.session.scalars(
            select(Flag)
            .where(Flag.clinic_id == reminder.clinic_id, Flag.id.in_(wanted))
            .options(joinedload(Flag.patient))  # each row names its patient
        )
    }

    def rows(ids):
        return [digest_row(flags[flag_id]) for flag_id in ids if flag_id in flags]

    return rows(payload.get("new", [])), rows(payload.get("unattended", []))


def digest_row(flag: Flag) -> DigestRow:
    return DigestRow(
        kind_label=word_for(FLAG_KIND_LABELS, flag.kind),
        patient_name=flag.patient.name,
        external_id=flag.patient.external_id,
        opened_on=flag.opened_at.date().isoformat(),
        evidence=evidence_text(flag.kind, flag.evidence or {}),
    )
