"""Patient facts for matching: the documented patient JSON (:class:`Patient`, see ``examples/`` and the README).

Files are read by :mod:`criteria_parser.match.patient_files`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _naive(value: datetime) -> datetime:
    """Drop a time zone (dates are compared on the patient's local calendar)."""
    return value.replace(tzinfo=None) if value.tzinfo else value


When = Annotated[datetime, AfterValidator(_naive)]
"""A date or date-time; '2026-03-08' reads as midnight, time zones are dropped."""


class Quantity(_Model):
    """A number with its unit (UCUM code or a common spelling such as 'mg/day')."""

    value: float
    unit: Optional[str] = None


class ReferenceRange(_Model):
    """The lab's normal range for a result; its unit defaults to the result's."""

    low: Optional[float] = None
    high: Optional[float] = None
    unit: Optional[str] = None


class Result(_Model):
    """A lab result, measurement or score (creatinine, LVEF, ECOG, life expectancy)."""

    name: str = Field(description="What was measured, as the lexicon or the lab names it.")
    loinc: Optional[str] = None
    value: Optional[float] = None
    comparator: Optional[Literal["<", "<=", ">", ">="]] = Field(
        default=None, description="The value is only a bound: '>' 150 (FHIR valueQuantity.comparator).")
    category: Optional[str] = Field(default=None, description="A class on a named scale: 'III' of NYHA III.")
    unit: Optional[str] = None
    date: Optional[When] = None
    method: Optional[str] = Field(default=None, description="How it was measured: 'flow cytometry'.")
    reference_range: Optional[ReferenceRange] = None



class Diagnosis(_Model):
    """A condition or clinical state; ``absent`` records that it was ruled out."""

    name: str
    code: Optional[str] = Field(default=None, description="ICD-10 or SNOMED CT code.")
    status: Literal["active", "resolved", "absent"] = "active"
    onset: Optional[When] = None
    recorded: Optional[When] = Field(default=None, description="When it was recorded; stands in for a missing onset.")
    end: Optional[When] = None



class Treatment(_Model):
    """A drug, therapy or procedure the patient received, with its dates and daily dose."""

    name: str
    classes: list[str] = Field(default_factory=list, description="Treatment classes, e.g. 'systemic corticosteroids'.")
    route: Optional[str] = None
    start: Optional[When] = None
    end: Optional[When] = Field(default=None, description="Last day given; empty while ongoing.")
    dose: Optional[Quantity] = Field(default=None, description="Daily dose, e.g. 5 mg/d.")



class Confirmation(_Model):
    """A statement someone confirmed: consent given, contraception agreed, investigator's judgement."""

    about: str
    answer: bool
    date: Optional[When] = None
    note: Optional[str] = None


class Patient(_Model):
    """Everything the matcher knows about one patient.

    ``treatments`` is the complete treatment history only when ``treatments_complete`` says so (a reconciled
    history): otherwise a treatment it lists counts, and one it does not list is ``unknown``, never absent. Left out,
    every treatment criterion is ``unknown``. Diagnoses are never taken as complete: a condition counts as absent
    only when recorded with status ``absent``.
    """

    id: str
    birth_date: Optional[date] = None
    sex: Optional[Literal["female", "male", "other", "unknown"]] = None
    as_of: Optional[When] = Field(default=None, description="Date of the screening; today when empty.")
    anchors: dict[str, When] = Field(default_factory=dict, description="Planned dates: {'infusion': ...}.")
    results: list[Result] = Field(default_factory=list)
    diagnoses: list[Diagnosis] = Field(default_factory=list)
    treatments: Optional[list[Treatment]] = None
    treatments_complete: bool = Field(
        default=False, description="The treatments listed are the whole history: one not listed was not given.")
    confirmations: list[Confirmation] = Field(default_factory=list)

    @field_validator("anchors")
    @classmethod
    def _lower_anchors(cls, value: dict[str, datetime]) -> dict[str, datetime]:
        return {name.lower(): when for name, when in value.items()}


    def screening_date(self) -> datetime:
        """The date facts are judged at: ``as_of``, or today."""
        return self.as_of or datetime.combine(date.today(), datetime.min.time())
