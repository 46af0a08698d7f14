"""Scheduler heartbeats: how the clinician pages and /metrics know a scheduler is alive."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime


class SchedulerHeartbeat(db.Model):
    """The last sign of life of each scheduler process."""

    __tablename__ = "scheduler_heartbeat"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
