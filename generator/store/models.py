"""The store's tables (SQLAlchemy 2 declarative models).

Figures are a long table keyed by defined name, so a new model output (FC_CF_ShortMonths, say)
is stored without a migration. Every returned file is a submission, used or not, so nothing a
round saw is lost; a changed file for the same partnership and workbook in the same round
supersedes the earlier one, which stays listed.

A change to these models needs a new migration in migrations/versions (tests/test_store.py
checks that upgrading from the first schema gives exactly these tables).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint names the same on every engine (Alembic needs them named to change them later).
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
          "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class PartnershipRow(Base):
    """A partnership, by the stable id its workbooks carry (batch's roster `id`, else the name's slug)."""

    __tablename__ = "pbp_partnerships"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(500))              # as last returned
    region: Mapped[str] = mapped_column(String(500), default="")
    structure: Mapped[str] = mapped_column(String(200), default="")
    submissions: Mapped[list[SubmissionRow]] = relationship(back_populates="partnership")


class RoundRow(Base):
    """One collection round (a year's or a quarter's returns)."""

    __tablename__ = "pbp_rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200), unique=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    submissions: Mapped[list[SubmissionRow]] = relationship(back_populates="round", order_by="SubmissionRow.id")


class SubmissionRow(Base):
    """One returned file in a round: what it was, what validation said, whether its figures are used."""

    __tablename__ = "pbp_submissions"
    __table_args__ = (Index("ix_pbp_submissions_round_sha", "round_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pbp_rounds.id", ondelete="CASCADE"), index=True)
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("pbp_partnerships.id"), nullable=True, index=True)
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    template_id: Mapped[str] = mapped_column(String(100), default="")
    template_version: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(50))             # validation status (clean, problems, unreadable, ...)
    used: Mapped[bool] = mapped_column(Boolean, default=False)  # its figures are the partnership's in this round
    filled: Mapped[bool] = mapped_column(Boolean, default=True)
    problems: Mapped[str] = mapped_column(Text, default="")     # one finding a line
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("pbp_submissions.id"), nullable=True)
    round: Mapped[RoundRow] = relationship(back_populates="submissions")
    partnership: Mapped[PartnershipRow | None] = relationship(back_populates="submissions")
    figures: Mapped[list[FigureRow]] = relationship(back_populates="submission", cascade="all, delete-orphan")


class FigureRow(Base):
    """One figure of a submission: a defined name's value (per scenario, per year or month when it has them)."""

    __tablename__ = "pbp_figures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("pbp_submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))              # the defined name: FC_Total, SP_base_EndCash
    scenario: Mapped[str | None] = mapped_column(String(100), nullable=True)
    year: Mapped[str | None] = mapped_column(String(20), nullable=True)    # FY2027; None for a single figure
    month: Mapped[int | None] = mapped_column(Integer, nullable=True)     # 1..12 for a monthly series (FC_CF_*)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)         # a figure that is words (SP_base_RunwayCash: FY2029)
    submission: Mapped[SubmissionRow] = relationship(back_populates="figures")
