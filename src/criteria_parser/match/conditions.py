"""A patient's diagnoses and confirmations as the values of condition variables: how long an episode lasted,
how long before an anchor a condition last began, whether a condition is recorded (active, resolved, ruled out),
and what the patient confirmed."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from ..grammar.matching import Concept, MatchingGrammar
from ..grammar.phrases import phrase_regex
from ..grammar.units import convert
from .fact_store import DAY_SECONDS, Facts, anchor_date, day_text
from .names import LexiconNames
from .patients import Diagnosis, Patient
from .plan import Variable


def concept_of(matching: MatchingGrammar, variable: Variable) -> Concept:
    """The matching grammar's concept a concept or event_window variable is about."""
    return next(c for c in matching.concepts if c.name == variable.subject)


def names_concept(text: str, concept: Concept) -> bool:
    """Whether a record's words name the concept: its name, or one of its phrases."""
    return text.lower() == concept.name.lower() or any(phrase_regex(p).search(text) for p in concept.phrases)


class ConditionReader:
    """Reads the ``event``, ``event_window``, ``confirmation`` and non-treatment ``concept`` variables."""

    def __init__(self, names: LexiconNames, matching: MatchingGrammar) -> None:
        self.names = names
        self.matching = matching

    def event(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        """How long the one recorded episode of a condition has lasted (to its end, or today)."""
        episodes = [
            d for d in patient.diagnoses
            if self.names.resolve(d.name).lower() == variable.subject.lower() and d.status != "absent"
        ]
        path = variable.path
        if len(episodes) != 1:
            what = "no" if not episodes else f"{len(episodes)} episodes of"
            facts.put(path, None, f"{what} {variable.subject} recorded")
            return
        episode = episodes[0]
        if episode.onset is None or episode.onset > today:
            facts.put(path, None, f"{episode.name}: no usable start date")
            return
        end = episode.end or today
        days = (end - episode.onset).total_seconds() / DAY_SECONDS
        value = convert(days, "d", variable.unit, self.matching) if variable.unit else days
        facts.put(path, value, f"{episode.name} from {day_text(episode.onset)} to "
                  f"{day_text(episode.end) if episode.end else 'now'}")

    def event_window(self, patient: Patient, variable: Variable, today: datetime, facts: Facts) -> None:
        """Days from the latest episode of a condition to an anchor, and whether it is recorded at all."""
        concept = concept_of(self.matching, variable)
        found = [d for d in patient.diagnoses if self._diagnosis_is(d, concept)]
        occurred = [d for d in found if d.status != "absent"]
        recorded = variable.path.split(".days_before.")[0] + ".recorded"
        if not occurred:
            ruled_out = next((d for d in found if d.status == "absent"), None)
            named = f" ({ruled_out.name})" if ruled_out and ruled_out.name.lower() != concept.name.lower() else ""
            note = f"{concept.name} ruled out{named}" if ruled_out else f"no {concept.name} recorded"
            impossible = self.impossible(patient, concept)
            note = impossible or note
            facts.put(recorded, "absent" if ruled_out or impossible else None, note)
            facts.put(variable.path, None, note)
            return
        dated = [(d, self._last_present(d, today)) for d in occurred]
        usable = [(d, when) for d, when in dated if when is not None and when <= today]
        facts.put(recorded, "present" if len(usable) == len(dated) else "undated",
                  ", ".join(d.name for d in occurred) + " recorded")
        anchor = anchor_date(patient, variable.anchor or "", today, self.matching)
        if not usable or anchor is None:
            missing = f"no {(variable.anchor or '').replace('_', ' ')} date" if usable else "no usable onset date"
            facts.put(variable.path, None, f"{occurred[0].name}: {missing}")
            return
        latest, when = max(usable, key=lambda pair: pair[1])
        said = "ended" if latest.end == when else "onset" if latest.onset else "recorded"
        note = f"{latest.name} {said} {day_text(when)}"
        facts.put(variable.path, (anchor - when).total_seconds() / DAY_SECONDS, note)

    def concept(self, patient: Patient, concept: Concept, variable: Variable, facts: Facts) -> None:
        """A condition concept as recorded (present, inactive, absent), or a confirmation concept as answered."""
        if concept.kind == "confirmation":
            answers = [c for c in patient.confirmations if names_concept(c.about, concept)]
            if not answers:
                facts.put(variable.path, None, f"no confirmation about {concept.name}")
            else:
                last = answers[-1]
                facts.put(variable.path, "present" if last.answer else "absent",
                          f"confirmed {'yes' if last.answer else 'no'}: {last.about} ({day_text(last.date)})")
            return
        found = [d for d in patient.diagnoses if self._diagnosis_is(d, concept)]
        impossible = self.impossible(patient, concept)
        if impossible and not any(d.status == "active" for d in found):
            facts.put(variable.path, "absent", impossible)
            return
        for status, value, said in (("active", "present", "active"), ("resolved", "inactive", "resolved"),
                                    ("absent", "absent", "ruled out")):
            match = next((d for d in found if d.status == status), None)
            if match is not None:
                named = "" if match.name.lower() == concept.name.lower() else f" ({match.name})"
                facts.put(variable.path, value, f"recorded as {said}{named}")
                return
        facts.put(variable.path, None, f"{concept.name} neither recorded nor ruled out")

    def to_come(self, patient: Patient, concept: Concept, variable: Variable, facts: Facts) -> None:
        """A condition to come ("become pregnant"): absent where the record rules it out (a sex, a diagnosis), else
        unknown, whatever is recorded of it now."""
        impossible = self.impossible(patient, concept)
        facts.put(variable.path, "absent" if impossible else None,
                  impossible or f"whether a {concept.name} is to come is not recorded")

    def confirmation(self, patient: Patient, variable: Variable, facts: Facts) -> None:
        """The patient's last answer about the variable's subject."""
        wanted = variable.subject.lower()
        answers = [c for c in patient.confirmations if self.names.resolve(c.about).lower() == wanted]
        if not answers:
            facts.put(variable.path, None, f"no confirmation about {variable.subject}")
            return
        last = answers[-1]
        facts.put(variable.path, last.answer, f"confirmed {'yes' if last.answer else 'no'}: "
                  f"{last.note or last.about} ({day_text(last.date)})")

    @staticmethod
    def _last_present(diagnosis: Diagnosis, today: datetime) -> Optional[datetime]:
        """When an episode was last there: its end when it has one (a cancer resolved in January 2015 was there
        until then, however long before it began), else its onset, else the day it was recorded."""
        if diagnosis.end is not None and diagnosis.end <= today and (diagnosis.onset is None
                                                                    or diagnosis.end >= diagnosis.onset):
            return diagnosis.end
        return diagnosis.onset or diagnosis.recorded

    @staticmethod
    def impossible(patient: Patient, concept: Concept) -> Optional[str]:
        """Why the patient cannot have the condition, if the record says: a sex that cannot have it, or an active
        diagnosis that rules it out."""
        if concept.sexes and patient.sex in ("female", "male") and patient.sex not in concept.sexes:
            return f"a {patient.sex} patient: no {concept.name}"
        ruling = next((d for d in patient.diagnoses if d.status == "active" and d.code and any(
            d.code.upper().startswith(code.upper()) for code in concept.ruled_out_by)), None)
        return f"{ruling.name} ({ruling.code}): no {concept.name}" if ruling else None

    @staticmethod
    def _diagnosis_is(diagnosis: Diagnosis, concept: Concept) -> bool:
        code = (diagnosis.code or "").upper()
        return names_concept(diagnosis.name, concept) or any(code and code.startswith(c.upper()) for c in concept.codes)
