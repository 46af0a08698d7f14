"""A clinic: the owner of every other row, with its schedule and flag settings."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, false
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime
from tracker.regions import country_of_timezone
from tracker.timeutil import now_utc

REGIMES = ("none", "jp_asrm")


class Clinic(db.Model):
    __tablename__ = "clinic"
    __table_args__ = (CheckConstraint("send_hour BETWEEN 0 AND 23", name="send_hour_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # ISO 3166 country, for reading phone numbers typed without a country code; when unset,
    # the country of the clinic's time zone.
    country: Mapped[str | None] = mapped_column(String(2))
    # How patients reach the clinic: shown in every patient email and page (E.164).
    phone: Mapped[str | None] = mapped_column(String(16))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    milestone_weeks: Mapped[list[int]] = mapped_column(JSON, default=lambda: [2, 8, 12, 52])
    send_hour: Mapped[int] = mapped_column(default=9)
    window_before_days: Mapped[int] = mapped_column(default=3)
    window_after_days: Mapped[int] = mapped_column(default=14)
    nudge_after_days: Mapped[int] = mapped_column(default=3)
    # Flag thresholds (docs/schedule-and-flags.md).
    early_days: Mapped[int] = mapped_column(default=14)
    min_improvement: Mapped[int] = mapped_column(default=2)
    rise_points: Mapped[int] = mapped_column(default=2)
    sustain_days: Mapped[int] = mapped_column(default=7)
    severe_pain: Mapped[int] = mapped_column(default=7)
    non_responder_days: Mapped[int] = mapped_column(default=84)
    # Staff must sign in with a second factor; those not enrolled enrol at their next sign-in.
    require_two_factor: Mapped[bool] = mapped_column(server_default=false())
    # jp_asrm switches on Japan's regenerative-medicine act (docs/compliance.md, The regime
    # switch). A server default only, so inserts written for earlier revisions of the schema
    # still work.
    regulatory_regime: Mapped[str] = mapped_column(String(12), server_default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    @property
    def phone_country(self) -> str | None:
        """The country whose national numbers the clinic's staff type and read."""

        return self.country or country_of_timezone(self.timezone)

    def __repr__(self) -> str:
        return f"<Clinic {self.id} {self.name!r}>"
