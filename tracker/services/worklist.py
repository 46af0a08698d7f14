"""The clinicians' worklist: open flags in the order that needs attention first."""

from dataclasses import dataclass

from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.models import Flag
from tracker.models.flag import KINDS

PAGE_SIZE = 25
KIND_ORDER = case({kind: position for position, kind in enumerate(KINDS)}, value=Flag.kind)


@dataclass
class WorklistPage:
    flags: list[Flag]
    page_number: int
    has_next: bool
    kind: str | None


def worklist_page(clinic_id: int, args) -> WorklistPage:
    """Load one page of the clinic's open and acknowledged flags."""
    kind = args.get("kind") if args.get("kind") in KINDS else None
    page_number = max(args.get("page", 1, type=int) or 1, 1)
    query = (
        select(Flag)
        .where(Flag.clinic_id == clinic_id, Flag.status.in_(("open", "acknowledged")))
        .options(joinedload(Flag.patient), joinedload(Flag.treatment), joinedload(Flag.owner))
        .order_by(KIND_ORDER, Flag.opened_at, Flag.id)
        .limit(PAGE_SIZE + 1)
        .offset((page_number - 1) * PAGE_SIZE)
    )
    if kind:
        query = query.where(Flag.kind == kind)
    flags = list(db.session.scalars(query))
    return WorklistPage(flags[:PAGE_SIZE], page_number, len(flags) > PAGE_SIZE, kind)
