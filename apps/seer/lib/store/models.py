"""The tables of the app's state (SQLAlchemy 2, typed ORM). Alembic migrations (`migrations/`) create them; a
change here needs a new migration.

Each record is kept whole as its JSON (`data`, the pydantic model's own dump, so a read gives back exactly what was
written) beside the columns that queries filter on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RequestRow(Base):
    """One infer call (lib.records.RequestRecord), its prompt scrubbed."""

    __tablename__ = "requests"
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    image_id: Mapped[str] = mapped_column(String(512), index=True)
    time: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, naive: SQLite keeps no zone
    data: Mapped[str] = mapped_column(Text)


class CorrectionRow(Base):
    """A final label paired with its request (lib.request_log.Correction). One row per save of a label: the unique
    key makes a second server pairing the same save a no-op."""

    __tablename__ = "corrections"
    __table_args__ = (UniqueConstraint("image_id", "label_id", "label_ts", name="uq_correction_save"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    image_id: Mapped[str] = mapped_column(String(512), index=True)
    label_id: Mapped[str] = mapped_column(String(512))
    label_ts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    time: Mapped[datetime] = mapped_column(DateTime, index=True)
    data: Mapped[str] = mapped_column(Text)


class BankVersionRow(Base):
    """One skill-bank version: written once by a train round. Only a deletion of patient data touches it again
    (a skill's audit then says "source deleted"); what it answers never changes."""

    __tablename__ = "bank_versions"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created: Mapped[datetime] = mapped_column(DateTime)
    round_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    skills: Mapped[str] = mapped_column(Text)  # JSON list of lib.skills.bank.Skill


class BankPointerRow(Base):
    """The live version (one row, id 1). `changes` grows with every commit and rollback: servers compare
    (number, changes) per request to see a new version without loading it."""

    __tablename__ = "bank_pointer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    changes: Mapped[int] = mapped_column(Integer, default=0)


class TrainRoundRow(Base):
    """A training round: who runs it, how it ended, and its statistics (JSON)."""

    __tablename__ = "train_rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running, done, empty, failed, abandoned
    server: Mapped[str] = mapped_column(String(256))
    started: Mapped[datetime] = mapped_column(DateTime)
    finished: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the bank version it committed
    stats: Mapped[str] = mapped_column(Text, default="{}")


class ServedImageRow(Base):
    """When active learning last served an image (POST /activelearning/seer_uncertain), on any server of the store:
    its tie-break, so that two annotators on two servers are not handed the same image."""

    __tablename__ = "served_images"
    image_id: Mapped[str] = mapped_column(String(512), primary_key=True)
    served: Mapped[float] = mapped_column(Float)  # seconds since the epoch (time.time())
