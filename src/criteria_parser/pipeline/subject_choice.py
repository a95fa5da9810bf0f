"""What a value limits: its subject, read from the words next to it, and none when nothing justifies one.

Used by ``criteria_constraints`` (:mod:`.constraints`), with the word lists of ``grammars/subjects.jsonl``. For one
quantity, in this order:

1. **Age.** An amount of time is an age, never a window, when an age word follows it ("18 years old", "of age",
   "or older") or comes before it ("aged", "older than"), when a person is named right before it ("Adults ≥ 18
   years", "Children 6 to 18 years"; an age noun stands for the person, "children ages 1-18"), or when the years
   are all the criterion says ("From 18 to 25 years"); not when a time relation states it ("within 7 days"), a
   duration word stands before it ("women for at least 1 year") or an event after it ("1 year post-menopausal").
   A bare number is an age when an age word stands next to it ("55 and older", "Women over age 18") or a person
   right before its comparator ("patients <18").
2. **The words before it.** Going left from its comparator over the words that may stand between a subject and
   its comparator (``gap``: "level", "was", a bracketed note), the entity that ends there is the subject, with
   the entities listed with it ("ALT/AST", "ALT and AST"); else the words up to a ``stop`` word or a break are
   an open subject ("Phe concentration ≥ 450", "live vaccine within 30 days"). An entity inside those words that
   does not end them is not the subject ("weight loss": not body weight). Only words of the same clause, after
   the previous constraint, count: a subject is never borrowed across "and/or" or from an earlier clause.
3. **The words after it.** Without words before it, the event a ``link`` word introduces ("within 72 hours of
   targeted therapy", "6 months post-stroke", "4 cycles of decitabine"), or what a bare count counts ("at least
   two permanent first molars"). A window's anchor ("before the first dose of study drug") is never a subject.
4. **Shared.** A value with no words of its own, listed after another ("ECOG 0 or 1", ">5% (morphology) and/or
   >1% (flow cytometry)"), limits what the one before it limits.

A subject must fit its value: a condition, procedure or person is never the subject of a measured amount
("hepatitis B > 14 drinks/week"), only a measure or an observation is of a multiple of normal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..grammar.clauses import clause_around
from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases
from .readings import Reading
from ..model import FlagKind
from .types import Cue, Found, Quantity

#: A word (with inner hyphens, apostrophes, dots or colons: "HbA1c", "BCR::ABL1", "post-stroke") or one other sign.
_TOKEN = re.compile(r"[^\W_]+(?:(?:[-'’.]|::)[^\W_]+)*|\S")
#: Signs that end the words of a subject.
_BREAKS = frozenset(",;.[]{}/|&+")
_SPACES = re.compile(r"\s*")
#: Brackets that close a note, and the ones that open it ("body mass index [BMI] > 30").
_CLOSING = {")": "(", "]": "["}
#: The end of a bracket right after a value ("recent (<6 months) acute cardiac event").
_CLOSE_BRACKET = re.compile(r"\s*\)\s*")
#: Most words of a relation between a bracket's opening and the amount it places ("(longer than the prior 6 months").
_RELATION_WORDS = 4
#: Signs that open a listed item at the start of a line.
_BULLETS = frozenset("-•*·▪")
#: Most words of its own before what an event acts on, after the word that links them ("for urinary tract infection";
#: no head word: not "to use effective contraceptive measures").
_MODIFIERS = 2
#: Entity types that may be the subject of a measured amount (a unit other than time) or of a multiple of normal.
_MEASURED = frozenset({"measurement", "observation"})
#: The years a bare number may be an age in, and the words that make an age phrase one ("or older", "age").
_AGE_RANGE = (1, 120)
#: A person's label opening a bracket right before a comparator ("QTc prolongation (Male: >450 ms"): the bracket
#: says whose value it is, and the subject stands before it.
_LABEL = re.compile(r"\(\s*([^\W\d_]+)\s*:\s*$")
#: Unit dimensions a drug may be measured in (a dose).
_DOSES = frozenset({"mass", "dose_rate", "volume", "mass_per_area", "other", "activity_concentration"})


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    lower: str


#: What :meth:`AgeReader.age` returns for an age that is not the person's: the value gets no subject.
NOT_A_PERSONS_AGE = Found(-1, -1, "", "person", None, "subject.not_the_persons_age")


class _Vocabulary:
    """The subject words of one grammar set, and the words of a criterion."""

    def __init__(self, grammars: Grammars) -> None:
        self._grammars = grammars
        self._window_units = grammars.window_units()
        self._age = next((e for e in grammars.lexicon if e.category == "demographic"), None)
        role = grammars.subject_phrases
        self._stop = {p.lower() for p in role("stop") + role("person")}
        self._gap = {p.lower() for p in role("gap")}
        self._heads = {p.lower() for p in role("head")}
        self._persons = {p.lower() for p in role("person")}
        #: one-word age phrases, which stand for the person when last before an amount ("children ages 1-18")
        self._age_nouns = {p.lower() for p in role("age_before") if " " not in p}
        self._durations = {p.lower() for p in role("duration")}
        self._event_gap = {p.lower() for p in role("event_gap")}
        #: before a window, what attaches the thing an event acts on to the event ("injection to ...")
        self._event_link = re.compile(r"(?<![^\W_])(?:" + compile_phrases(role("event_link")).pattern + r")\s*$",
                                      re.IGNORECASE)
        #: the words that may stand between such a link and the thing acted on ("to the affected shoulder"; no
        #: verb: "willing to take contraceptive measures")
        self._modifying = {p.lower() for rule in grammars.subjects if rule.id == "subj.stop.determiner"
                           for p in rule.phrases}
        self._history = {p.lower() for rule in grammars.subjects if rule.id == "subj.stop.history"
                         for p in rule.phrases}
        self._example = re.compile(r"(?<![^\W_])(?:" + compile_phrases(role("example")).pattern + r")", re.IGNORECASE)
        # what ends the words an example cue may take a subject from: a clause break or a colon (cues.jsonl)
        self._phrase_end = compile_phrases([*grammars.cue_phrases("clause_break"), *grammars.cue_phrases("list_end")])
        #: words that open another clause after a value ("patients ≥18 who ...")
        self._clause_words = {p.lower() for rule in grammars.subjects if rule.id == "subj.stop.clause"
                              for p in rule.phrases}
        self._since_event = re.compile(r"[\s-]*(?:" + compile_phrases(role("since_event")).pattern + r")",
                                       re.IGNORECASE)
        #: the since_event words that name their event themselves ("postpartum"; not "after", "post")
        self._since_word = re.compile(r"\s+(?:" + compile_phrases(
            [p for p in role("since_event") if len(p) > 5 and p.isalpha()]).pattern + r")(?![^\W_])", re.IGNORECASE)
        self._procedure = {p.lower() for p in role("procedure")}
        #: words that attach a phrase to the one before it ("of", "in"), and the articles that may follow them
        self._attaching = {p.lower() for p in role("attaching")}
        self._articles = {p.lower() for p in role("article")}
        #: stop words that may stand inside a scale's name ("American Society of Anesthesiologists physical status")
        self._name_words = {p.lower() for p in role("name_word")}
        #: the last word of an open subject that is a score of a scale named before it ("depression score")
        self._scores = {p.lower() for p in role("score")}
        #: the longest open subject, in words
        self._longest = grammars.subject_number("longest")
        #: what makes an age phrase one ("or older", "of age"; not "or above")
        self._age_word = grammars.subject_pattern("age_word")
        #: the same amount restated in brackets right after a value ("3 weeks (21 days)")
        self._restated = grammars.subject_pattern("restated")
        #: a period in words whose amount a bracket restates, right before it ("within the past year (12 months)")
        self._worded_period = grammars.subject_pattern("worded_period")
        #: a period that a window after it continues ("during treatment with InO and for at least 8 months after
        #: ..."): what stands before the period is what the window bounds
        self._and_after = grammars.subject_pattern("and_after")
        self._drug = {p.lower() for p in role("drug")}
        self._counts = {p.lower() for p in role("count")}
        #: the words that end a scale's name ("rating scale", "questionnaire"), and what links a score to the scale
        #: it is taken on ("on the")
        #: after a bare count, "of" and the list it counts ("at least two of the following criteria:")
        self._sub_list = re.compile(r"\s+of\s+(?:" + compile_phrases(role("sub_list")).pattern + r")", re.IGNORECASE)
        self._scales = {p.lower() for p in role("scale")}
        #: a dose held steady ("stable dose"), and the words that name the drug so taken before it ("on", "with")
        self._steady_dose = {w for p in role("steady_dose") for w in p.lower().split()}
        self._drug_intro = {p.lower() for p in role("drug_intro")}
        #: words that alone describe or quantify, and name nothing ("high", "average", "million")
        self._describing = {p.lower() for p in role("describing")}
        self._scale_link = re.compile(r"[\s,*]*(?:" + compile_phrases(role("scale_link")).pattern + r")\s+",
                                      re.IGNORECASE)
        #: the words of comparator and time phrases: a value's own words, not a subject ("at least", "within")
        self._comparing = {w.lower() for rule in (*grammars.comparators, *grammars.time_relations)
                           for phrase in rule.phrases for w in re.findall(r"[^\W\d_]+", phrase)}
        self._age_after = re.compile(r"[\s,)]*(?:" + compile_phrases(role("age_after")).pattern + r")(?![^\W_])",
                                     re.IGNORECASE)
        self._age_before = re.compile(r"(?<![^\W_])(?:" + compile_phrases(role("age_before")).pattern
                                      + r")(?![^\W_])", re.IGNORECASE)
        # links may follow one another ("must have elapsed since" "completion of")
        link = compile_phrases(role("link")).pattern
        self._link = re.compile(r"\s*(?:" + link + r")(?:\s+(?:" + link + r"))*[\s-]*", re.IGNORECASE)
        # the phrases of one word only (", or" is "," and "or"), so the repetition cannot backtrack over spaces
        single = [p for p in grammars.cue_phrases("listing") if " " not in p]
        joiner = compile_phrases(single).pattern
        self._coordination = re.compile(r"[\s()]*(?:(?:" + joiner + r")[\s()]*)+", re.IGNORECASE)
        self._joiners = {p.lower() for p in single}

    def words(self, text: str) -> list[_Word]:
        """The words of a criterion, once per doc."""
        return [_Word(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(text)]


class AgeReader(_Vocabulary):
    """Step 1: the age an amount of time or a bare number states, if it states one."""

    def age(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity, reading: Reading,
            start: int, left: int) -> Optional[Found]:
        """The age a quantity states, if it states one: a found entity over the age words when there are some,
        else one without words (its start and end are -1)."""
        unit = quantity.unit
        if self._age is None or reading.rule.startswith("time."):
            return None
        if unit is None:
            return self._unitless_age(text, words, found, quantity, reading, start, left)
        if not set(unit.candidates) <= self._window_units or unit.end <= quantity.start:
            return None
        if self._since_event.match(text, unit.end):
            return None  # "1 year post-menopausal": the time since an event, not an age
        after = (self._age_after.match(text, unit.end) or self._age_after.match(text, reading.end)
                 or self._age_after.search(text, unit.start, unit.end))  # the unit may be "years of age"
        own, named = self._own_and_named(words, start, left)
        person = self._person_before(words, found, own, left)
        if after is not None:
            # "18 years old": an age, but not when it is a thing's or an event's ("renal transplants less than one
            # year old", "sudden death under 40 years of age in first-degree relatives"): then none at all
            if person or not named:
                return self._age_words(text, after.start() + len(after.group()) - len(after.group().lstrip(" ,)")),
                                       after.end())
            return NOT_A_PERSONS_AGE
        before = [m for m in self._age_before.finditer(text, start, quantity.start)
                  if not self._own_word_in(words, m.end(), left)  # not another thing's: "gestational age"
                  and not any(f.entry is not self._age and f.start <= m.start() < f.end for f in found)]
        if before and ("age" in before[-1].group().lower() or person
                       or not self._own_word_in(words, start, before[-1].start())):
            return self._age_words(text, before[-1].start(), before[-1].end())  # "aged 18 to 65", "older than 18"
        if person:
            return self._age_words(text, -1, -1)  # "Adults ≥ 18 years": the person is named, the age is not
        between = [w for w in words if start <= w.start and w.end <= quantity.start and any(c.isalpha() for c in w.lower)
                   and w.lower not in self._stop and w.lower not in self._comparing and w.lower not in self._gap]
        rest = text[max(quantity.text_end, reading.end):].strip(" .;,)")
        first = re.match(r"[:\s]*([^\W\d_]+)", rest)
        if start == 0 and not between and unit.candidates[0] == "a" and (
                not re.search(r"[^\W\d_]", rest) or first is not None and first.group(1).lower() in self._persons):
            # "Over 18 years", "From 18 to 25 years": the years are all; "13 to < 16 years: male: 1.5": a row of ages
            return self._age_words(text, -1, -1)
        return None

    def _own_and_named(self, words: list[_Word], start: int, left: int) -> tuple[list[_Word], list[_Word]]:
        """The words before the comparator at ``left`` (after ``start``) that are no gap or sign, and of them the
        ones that name something (no stop, comparator or age word)."""
        own = [w for w in words if start <= w.start and w.end <= left and w.lower not in self._gap
               and not self._is_cue_word(w)]
        return own, [w for w in own if w.lower not in self._stop and w.lower not in self._comparing
                     and w.lower not in self._age_nouns]

    def _person_before(self, words: list[_Word], found: list[Found], own: list[_Word], left: int) -> bool:
        """Whether the last own word before the comparator at ``left`` is a person or an age noun ("Adults ≥ 18",
        "children ages 1-18"; not another thing's, "gestational age"), with no word making the amount a duration
        between ("women for at least 1 year")."""
        if not own:
            return False
        last = own[-1]
        if last.lower not in self._persons and (last.lower not in self._age_nouns or any(
                f.entry is not self._age and f.start <= last.start < f.end for f in found)):
            return False
        return not any(own[-1].end <= w.start and w.end <= left and w.lower in self._durations for w in words)

    def _unitless_age(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity,
                      reading: Reading, start: int, left: int) -> Optional[Found]:
        """The age a bare number states: an age word after it ("55 and older", "60 or older") or right before it
        ("Women over age 18", "Age [≥ 18]", "aged over 18"), or a person right before its comparator with nothing
        but a clause word after it ("patients <18", "Any patient ≥18 who ..."; not "Patients must have one of the
        following"); a number no age can be is none."""
        if quantity.reference is not None or quantity.category is not None or not _AGE_RANGE[0] <= quantity.value \
                <= _AGE_RANGE[1] or quantity.value_high is not None and quantity.value_high > _AGE_RANGE[1]:
            return None
        own, named = self._own_and_named(words, start, left)
        person = self._person_before(words, found, own, left)
        end = max(quantity.text_end, reading.end)
        if self._parallel_age(text, left, end):
            return self._age_words(text, -1, -1)
        after = self._age_after.match(text, quantity.text_end) or self._age_after.match(text, end)
        if after is not None and self._age_word.search(after.group()) and (person or not named):
            at = after.start() + len(after.group()) - len(after.group().lstrip(" ,)"))
            return self._age_words(text, at, after.end())
        before = [m for m in self._age_before.finditer(text, start, quantity.start)
                  if not self._own_word_in(words, m.end(), quantity.start)
                  and not any(f.entry is not self._age and f.start <= m.start() < f.end for f in found)]
        if before:
            return self._age_words(text, before[-1].start(), before[-1].end())
        if person and reading.cue_start is not None and quantity.value == int(quantity.value) \
                and not any(f.kind == FlagKind.NUMBER_WORD for f in quantity.flags) \
                and not self._own_word_in(words, own[-1].end, left):
            following = next((w for w in words if w.start >= end), None)
            if following is None or following.lower in self._clause_words or following.lower in _BREAKS \
                    or following.lower in self._joiners:
                return self._age_words(text, -1, -1)
        return None

    def _parallel_age(self, text: str, left: int, end: int) -> bool:
        """Whether a bare comparison alone in parentheses parallels an age stated in parentheses before it: the
        condition of another alternative ("ECOG 0–1 (age ≥16) or Lansky ≥50 (<16)": the Lansky score's age)."""
        opening = text.rfind("(", 0, left)
        if opening < 0 or text[opening + 1:left].strip() or not text[end:].lstrip().startswith(")"):
            return False
        return any(text[:m.start()].rstrip().endswith("(") for m in self._age_before.finditer(text, 0, opening))

    def _own_word_in(self, words: list[_Word], start: int, end: int) -> bool:
        """Whether a word that is no gap, stop, comparator word or sign lies in ``start``..``end``."""
        return any(start <= w.start and w.end <= end and any(c.isalpha() for c in w.lower)
                   and w.lower not in self._gap and w.lower not in self._stop and w.lower not in self._comparing
                   for w in words)

    def _age_words(self, text: str, start: int, end: int) -> Found:
        words = text[start:end] if start >= 0 else ""
        return Found(start, end, words, "person", self._age, "subject.age")

    @staticmethod
    def _is_cue_word(word: _Word) -> bool:
        return not any(c.isalpha() for c in word.lower)


class _OpenWords(_Vocabulary):
    """The words of an open subject: where the words that may stand between a subject and its comparator begin,
    and the phrase that ends or starts there, up to a stop word or a break."""

    def _gap_start(self, text: str, words: list[_Word], floor: int, left: int, commas: bool = False,
                   window: bool = False) -> int:
        """Where the words that may stand between a subject and its comparator at ``left`` begin: the end of the
        last other word before it (``floor`` when there is none); with ``commas``, a comma right before the
        comparator is such a word, and before an amount of time (``window``) ``event_gap`` words are."""
        index = _last_before(words, left)
        if commas and index >= 0 and words[index].lower == "," and words[index].start >= floor:
            index -= 1
        groups = 0
        while index >= 0 and words[index].start >= floor:
            word = words[index]
            if word.lower in _CLOSING and groups == 0:
                opening = _opening(words, index, floor)
                if opening is None:
                    return word.end
                groups += 1
                index = opening - 1
                continue
            labelled = word.lower in self._persons and index + 1 < len(words) and words[index + 1].lower == ":"
            if word.lower in self._gap or word.lower in (":", "=", "-", "(") or window and word.lower in self._event_gap \
                    or labelled:  # "QTc prolongation (Male: >450 ms": whose value it is, not what it limits
                index -= 1
                continue
            return word.end
        return floor

    def _only_heads(self, words: list[_Word], start: int, end: int) -> bool:
        """Whether only head words lie in ``start``..``end`` ("systemic corticosteroids therapy")."""
        inside = [w for w in words if start <= w.start and w.end <= end]
        return bool(inside) and all(w.lower in self._heads for w in inside)

    def _phrase_left(self, words: list[_Word], floor: int, end: int) -> Optional[tuple[int, int]]:
        """The open subject ending at ``end``: the words before it up to a stop word or a break; a phrase it is
        attached to by "of", "in", "on" or "at" comes with it ("Temperature on admission", "pain in the lower
        extremities")."""
        index = _last_before(words, end)
        taken: list[_Word] = []
        while index >= 0 and words[index].start >= floor and len(taken) < self._longest + 2:
            word = words[index]
            if word.lower in _CLOSING:
                opening = _opening(words, index, floor)
                if opening is None or not taken and opening == index - 1:
                    break
                taken[:0] = words[opening:index + 1]  # "Cognitive Status (TICS) score"
                index = opening - 1
                continue
            if word.lower in self._stop and taken:
                attached = self._attached(words, index, floor)
                if attached is not None:
                    taken[:0] = words[attached + 1:index + 1]
                    index = attached
                    continue
            if word.lower in _BREAKS or word.lower == "(" or word.lower in self._stop or _is_number(word.lower) \
                    or not any(c.isalnum() for c in word.lower):
                break
            taken.insert(0, word)
            index -= 1
        while taken and (taken[0].lower in self._heads or taken[0].lower in ("(", ")")
                         or taken[0].lower in self._attaching or taken[0].lower in self._articles):
            taken.pop(0)  # "administration of blood products": blood products
        if not any(any(c.isalpha() for c in w.lower) and w.lower not in self._heads for w in taken):
            return None
        return taken[0].start, taken[-1].end

    def _attached(self, words: list[_Word], index: int, floor: int) -> Optional[int]:
        """When the stop word at ``index`` is "of"/"in"/"on"/"at" (with "the"/"a" after it) following a word of its
        own, the index of that word; else None."""
        at = index
        if words[at].lower in self._articles and at > 0:
            at -= 1
        if words[at].lower not in self._attaching or at == 0:
            return None
        before = words[at - 1]
        if before.start < floor or before.lower in self._stop or before.lower in _BREAKS \
                or not any(c.isalpha() for c in before.lower):
            return None
        return at - 1

    def short_form_after(self, text: str, words: list[_Word], end: int, limit: int) -> int:
        """The end of a bracketed short form right after ``end`` ("lower appendicular muscle mass index (AMMI)"),
        else ``end``."""
        following = [w for w in words if end <= w.start < limit]
        if len(following) >= 3 and following[0].lower == "(" and following[0].start - end <= 1:
            closing = next((i for i, w in enumerate(following) if w.lower == ")"), None)
            inner = following[1:closing] if closing else []
            if closing and 1 <= len(inner) <= 3 and not any(_is_number(w.lower) for w in inner):
                return following[closing].end
        return end

    def _phrase_right(self, words: list[_Word], begin: int, ceiling: int) -> Optional[tuple[int, int]]:
        """The open subject starting at ``begin``: the words after it up to a stop word or a break."""
        taken: list[_Word] = []
        for word in words:
            if word.start < begin < word.end and word.lower[begin - word.start - 1] == "-":
                word = _Word(begin, word.end, word.lower[begin - word.start:])  # "post-stroke": stroke
            if word.start < begin:
                continue
            if word.end > ceiling or len(taken) >= self._longest or word.lower in _BREAKS or word.lower in "()" \
                    or word.lower in self._stop or _is_number(word.lower) or not any(c.isalnum() for c in word.lower):
                break
            taken.append(word)
        if taken and taken[-1].lower in self._heads and len(taken) > 1:
            taken.pop()
        if not any(any(c.isalpha() for c in w.lower) for w in taken):
            return None
        return taken[0].start, taken[-1].end


class SubjectPicker(AgeReader, _OpenWords):
    """Picks subjects with the subject words of one grammar set: the age (:class:`AgeReader`), then the words
    before a value, then the words after it (steps 2 and 3 of the module docstring), an open subject's words read
    by :class:`_OpenWords`."""

    def before(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity, start: int,
               left: int, relation: bool = False) -> list[Found]:
        """The subject written before the comparator at ``left`` (after ``start``): an entity, with the ones
        listed with it, or the open words there; none when nothing fits. Before an amount of time an ``event_gap``
        word may stand between them ("malignancy diagnosed within the past 3 years"), and before a time relation
        (``relation``) a comma ("Major surgical procedure, within 4 weeks")."""
        window = self.timed(quantity)
        period = self._worded_period.search(text, start, left) \
            or (self._and_after.search(text, start, left) if window else None)
        if period is not None:
            # "Suicide attempt within the past year (12 months)": the attempt's window; "use effective contraception
            # during treatment and for at least 8 months after the last dose": the contraception's
            left = period.start()
        label = _LABEL.search(text, start, left)
        at = label.start() if label is not None and label.group(1).lower() in self._persons else left
        clause = max(start, clause_around(self._grammars, text, at)[0], _line_floor(text, start, at))
        gap_start = self._gap_start(text, words, clause, left, relation, window)
        unit = quantity.unit
        scale_end = unit.end if unit is not None and unit.end <= quantity.start and unit.start >= left else left
        fitting = [f for f in found if clause <= f.start and f.end > f.start and (
            f.end <= left and (gap_start <= f.end and self._gap_start(text, words, f.end, left, relation, window) <= f.end
                               or f.entry is not None and self._only_heads(words, f.end, gap_start))
            or left < f.end <= scale_end)]  # "NYHA class III": the scale's name is the lexicon's
        if fitting:
            nearest = max(fitting, key=lambda f: (f.end, f.end - f.start))
            if not self.fits(nearest, quantity):
                return []
            run = [nearest]
            for other in sorted((f for f in found if clause <= f.start and f.end <= nearest.start), key=lambda f: -f.end):
                if not self._coordination.fullmatch(text[other.end:run[0].start]) or not self.fits(other, quantity):
                    break
                run.insert(0, other)
            return self._event_acting(text, words, found, quantity, clause,
                                      self._class_of_examples(text, words, found, quantity, start, run))
        phrase = self._phrase_left(words, clause, gap_start)
        if phrase is None:
            drug = self._drug_at_steady_dose(text, words, found, quantity, start, gap_start)
            if drug is None and not window:
                drug = self._scale_of_bracketed_score(text, words, found, start, gap_start)
            return [drug] if drug is not None else []
        end = self.short_form_after(text, words, phrase[1], left)
        for word in words:  # "Phe concentration": the open words keep the measure's head
            if word.start >= end and word.end <= left and word.start - end <= 1 and word.lower in self._heads:
                end = word.end
        subject = self._open(text, phrase[0], end, quantity, found)
        if not self.names_something(subject):
            return []  # "high (>90%) cure rate": a word that only describes
        if not self.timed(quantity):
            subject = self.scale_before(text, words, found, clause, subject)
        return self._event_acting(text, words, found, quantity, clause, self._class_of_examples(
            text, words, found, quantity, start, [subject]))

    def _drug_at_steady_dose(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity,
                             start: int, gap_start: int) -> Optional[Found]:
        """Before an amount of time, when the words before it say a dose held steady ("must be on a stable dose for
        30 days", ``steady_dose``), the drug named before them in the same sentence: the nearest lexicon drug, else
        the words after the last ``drug_intro`` word ("Patients on Sandostatin Lar ...", "treatment with
        midodrine HCl, and has been at a stable dose for 3 months"); else None. The window bounds the drug."""
        if not self.timed(quantity):
            return None
        index = _last_before(words, gap_start)
        if index < 0 or words[index].start < start or words[index].lower not in self._steady_dose:
            return None
        while index > 0 and words[index - 1].lower in self._steady_dose and words[index - 1].start >= start:
            index -= 1
        floor = max(start, _line_floor(text, start, words[index].start), _sentence_start(text, start, words[index].start))
        drugs = [f for f in found if floor <= f.start and f.end <= words[index].start and f.type == "drug"]
        if drugs:
            return max(drugs, key=lambda f: f.end)
        for intro in reversed([w for w in words if floor <= w.start and w.end <= words[index].start
                               and w.lower in self._drug_intro]):
            phrase = self._phrase_right(words, intro.end, words[index].start)
            if phrase is not None:
                named = self._open(text, phrase[0], phrase[1], quantity, found)
                if self.names_something(named):
                    return Found(named.start, named.end, named.text, "drug", None, named.rule)
        return None

    def _event_acting(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity, clause: int,
                      subjects: list[Found]) -> list[Found]:
        """Before an amount of time, the event that ``subjects`` are what it acts on, when an ``event_link`` word
        attaches them to it ("corticosteroid injection to affected shoulder within the last 3 months",
        "hospitalized for heart failure in last 12 months": the window bounds the injection, the stay): a lexicon
        entity ending at the link word, else the open words from the event to the end of ``subjects``; else
        ``subjects``, as when the event is only a head word before a lexicon concept ("treatment with systemic
        corticosteroids") or what the amount measures ("disease with life expectancy < 1 year")."""
        if not subjects or not self.timed(quantity) or any(self.measured_in_time(s) for s in subjects):
            return subjects  # "disease with life expectancy < 1 year": what the amount measures
        index, modifiers, link = _last_before(words, subjects[0].start), 0, None
        while index >= 0 and words[index].start >= clause:
            link = self._event_link.search(text, clause, words[index].end)
            lower = words[index].lower
            if link is not None or not (lower in self._modifying or modifiers < _MODIFIERS and lower.isalpha()
                                        and lower not in self._stop and lower not in self._heads):
                break
            modifiers += words[index].lower not in self._modifying
            index -= 1  # "antibiotics for ocular infection", "injection to the affected shoulder"
        if link is None:
            return subjects
        end = clause + len(text[clause:link.start()].rstrip())
        event = next((f for f in found if f.end == end and f.start >= clause and f.entry is not None), None)
        if event is not None:
            return [event] if self.fits(event, quantity) else subjects
        index = _last_before(words, end)
        phrase = self._phrase_left(words, clause, end)
        if phrase is None and index >= 0 and words[index].start >= clause and words[index].lower in self._heads:
            if any(s.entry is not None for s in subjects):
                return subjects  # "treatment with systemic corticosteroids": the head keeps the concept
            phrase = (words[index].start, end)  # "treatment for syphilis": a head word alone is the event here
        if phrase is None:
            return subjects
        whole = self._open(text, phrase[0], subjects[-1].end, quantity, found)
        return [whole] if self.fits(whole, quantity) else subjects

    def _class_of_examples(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity,
                           start: int, subjects: list[Found]) -> list[Found]:
        """The class that ``subjects`` are listed as examples of, when an ``example`` cue outside brackets opens
        their list before an amount of time ("systemic pain medications, e.g. oxycodone in the past 2 weeks": the
        medications; the cue's full stop ends no clause here); else ``subjects`` (a measure's value is the
        measure's: "heart failure e.g., NYHA grade IV")."""
        if not self.timed(quantity):
            return subjects
        clause = max(start, _line_floor(text, start, subjects[0].start))
        before = text[clause:subjects[0].start]
        cue = None
        for match in self._example.finditer(before):
            cue = match
        if cue is None or before.count("(", cue.end()) or before.count("(", 0, cue.start()) > before.count(
                ")", 0, cue.start()) or self._phrase_end.search(before[cue.end():]) \
                or self._phrase_end.search(before[:cue.start()]):
            return subjects
        phrase = self._phrase_left(words, clause, clause + len(before[:cue.start()].rstrip(" ,(")))
        if phrase is None:
            return subjects
        named = next((f for f in found if (f.start, f.end) == phrase), None) or self._open(
            text, phrase[0], phrase[1], quantity, found)
        return [named] if self.fits(named, quantity) else subjects

    def scale_after(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity,
                    reading: Reading) -> Optional[Found]:
        """The scale a score is taken on, named after the value by a ``scale_link`` ("a baseline score of greater
        than 5 on the Roland-Morris Disability Questionnaire", "< 120 points on the Mattis Dementia Rating Scale",
        "stage <2 on the Kellgren Laurence scale"): the words after the link up to the ``scale`` words that end
        the scale's name (a lexicon entity ending there or with its short form, or followed there by scale words only,
        gives its concept;
        "on the MADRS", a lexicon score, is one too), for a value without a unit or with a score's; else None. It
        is the subject before any words before the value (the condition scored: "cognitive impairment (< 120
        points on ...)")."""
        unit = quantity.unit
        if quantity.reference is not None or unit is not None and unit.dimension != "score":
            return None
        end = max([quantity.text_end, reading.end] + [f.end for f in reading.flags if f.kind == "postfix_comparator"]
                  + ([unit.end] if unit is not None and unit.end > quantity.start else []))
        link = self._scale_link.match(text, end)
        if link is None:
            return None
        following = [w for w in words if w.start >= link.end()]
        taken: list[_Word] = []
        last_scale, index = 0, 0
        while index < len(following) and len(taken) < 2 * self._longest:
            word = following[index]
            if word.lower == "(" and taken:  # a short form inside the name: "(ASA) physical status classification"
                close = next((j for j in range(index + 1, min(index + 5, len(following)))
                              if following[j].lower == ")"), None)
                if close is None:
                    break
                taken.extend(following[index:close + 1])
                index = close + 1
                continue
            if word.lower in _BREAKS or not any(c.isalnum() for c in word.lower) \
                    or word.lower in self._stop and not (taken and word.lower in self._name_words):
                break
            if word.lower in self._scales:
                taken.append(word)
                last_scale = len(taken)
            elif last_scale:
                break  # the name ended with its scale words
            else:
                taken.append(word)
            index += 1
        if not taken:
            return None
        start = taken[0].start
        if not last_scale:  # "on the MADRS": a lexicon score named alone
            named = next((f for f in found if f.start == start and f.entry is not None
                          and f.entry.category == "score"), None)
            if named is None and self._scored(words, quantity, reading) and len(taken) <= 3 \
                    and all(w.lower not in self._name_words and w.lower != "(" for w in taken):
                # "Score of 24 or lower on the ASI-3": what a score is on is a scale, whatever its name
                return self._open(text, start, taken[-1].end, quantity, found)
            return named
        stop = taken[last_scale - 1].end
        named = next((f for f in found if f.entry is not None and start <= f.start < stop <= f.end), None) \
            or next((f for f in found if f.entry is not None and f.start == start
                     and all(w.lower in self._scales for w in taken if f.end <= w.start and w.end <= stop)), None)
        return named or self._open(text, start, stop, quantity, found)

    def sub_list(self, text: str, words: list[_Word], quantity: Quantity) -> Optional[Found]:
        """The list a bare count counts, named after it ("four of the following criteria:", "at least one of
        these signs: fever ..."): the ``sub_list`` words and up to two words of their own after them, before the
        items; else None. It is the subject before any words before the count (what the count is about is the
        list, not the thing named before it: "fever for at least five days plus four of the following"), unless
        the count stands in a bracket after that thing, which the list then defines ("Prediabetes (at least one of
        the following is sufficient: ...)")."""
        if quantity.unit is not None or quantity.reference is not None or quantity.category is not None:
            return None
        if text.count("(", 0, quantity.start) > text.count(")", 0, quantity.start):
            return None
        match = self._sub_list.match(text, quantity.text_end)
        if match is None:
            return None
        start = match.start() + len(match.group()) - len(match.group().lstrip())
        start += len(text[start:match.end()]) - len(text[start:match.end()].split(None, 1)[-1])  # after "of"
        end = match.end()
        for word in [w for w in words if w.start >= end][:2]:
            if not word.lower.isalpha() or word.lower in self._stop or text[end:word.start].strip():
                break
            end = word.end
        return Found(start, end, text[start:end], "observation", None, "subject.sub_list")

    def _scored(self, words: list[_Word], quantity: Quantity, reading: Reading) -> bool:
        """Whether a score word stands right before the value's comparator, past "of" ("score of 24 or lower")."""
        index = _last_before(words, reading.cue_start if reading.cue_start is not None else quantity.start)
        while index >= 0 and words[index].lower in ("of", "a", "the", "total"):
            index -= 1
        return index >= 0 and words[index].lower in self._scores

    def _scale_of_bracketed_score(self, text: str, words: list[_Word], found: list[Found], start: int,
                                  end: int) -> Optional[Found]:
        """The scale named right before a bracket that opens with a score ("Alcohol Use Disorders Inventory Test
        (AUDIT) (score of 8 or higher)": the test), when the score word ends at ``end``; else None."""
        index = _last_before(words, end)
        if index < 2 or words[index].lower not in self._scores or words[index - 1].lower != "(":
            return None
        return self._scale_ending(text, words, found, index - 2, start, True)

    def scale_before(self, text: str, words: list[_Word], found: list[Found], clause: int,
                     subject: Found) -> Found:
        """The scale an open "... score" before a value is of, when the scale is named right before it after
        "for" or a comma ("Patient Health Questionnaire (PHQ9) for depression score ≥15", "Boston Bowel Prep
        Scale, total score ≤2"); else ``subject``."""
        inside = [w for w in words if subject.start <= w.start and w.end <= subject.end]
        if subject.entry is not None or not inside or inside[-1].lower not in self._scores:
            return subject
        index = _last_before(words, subject.start)
        if index < 1 or words[index].lower not in (",", "for") or words[index].start < clause:
            return subject
        return self._scale_ending(text, words, found, index - 1, clause, False) or subject

    def _scale_ending(self, text: str, words: list[_Word], found: list[Found], index: int, floor: int,
                      own_line: bool) -> Optional[Found]:
        """The scale whose name ends with the word at ``index`` (or with a bracketed short form there, "Patient
        Health Questionnaire (PHQ9)"), read leftwards after ``floor`` (with ``own_line``, from where its line
        starts): a lexicon entity with those words, else open words; None when no scale word ends it."""
        if words[index].lower == ")":
            opening = _opening(words, index, floor)
            if opening is None or opening < 1:
                return None
            index = opening - 1
        if words[index].lower not in self._scales or words[index].start < floor:
            return None
        if own_line:
            floor = max(floor, _line_floor(text, floor, words[index].start))
        phrase = self._phrase_left(words, floor, words[index].end)
        if phrase is None:
            return None
        return next((f for f in found if (f.start, f.end) == phrase), None) or Found(
            phrase[0], phrase[1], text[phrase[0]:phrase[1]], "observation", None, "subject.open")

    def counts_after(self, text: str, words: list[_Word], subjects: list[Found], quantity: Quantity) -> bool:
        """Whether a bare count names what it counts right after it, while the words before it are open ("Failure
        of at least one weight loss medication")."""
        if quantity.unit is not None or quantity.reference is not None or any(s.entry for s in subjects):
            return False
        following = next((w for w in words if w.start >= quantity.text_end), None)
        return following is not None and following.start - quantity.text_end <= 1 and following.lower.isalpha() \
            and following.lower not in self._stop and following.lower not in self._comparing

    def bracketed(self, text: str, subjects: list[Found], left: int) -> bool:
        """Whether a bracket opens between the subjects and the comparator at ``left`` ("Hypertension (≥140 mmHg
        systolic": the value names its own subject after it)."""
        return bool(subjects) and "(" in text[max(s.end for s in subjects):left]

    def after(self, text: str, words: list[_Word], found: list[Found], quantity: Quantity, reading: Reading,
              anchors: list[Cue]) -> list[Found]:
        """The subject written after the quantity: the event a link word introduces, or what a bare count counts;
        never the window's anchor."""
        # past a postfix comparator read with the value ("92% or higher"), not one after its measure ("150 cm of
        # height or greater", flagged on the comparator's words alone)
        end = max([quantity.text_end] + [f.end for f in reading.flags if f.kind == "postfix_comparator"
                                         and f.start == quantity.start])
        restated = self._restated.match(text, end)
        if restated is not None:
            end = restated.end()  # "At least 3 weeks (21 days) must have elapsed since ...": the same amount again
        link = self._link.match(text, end)
        if link is None and (quantity.unit is None or quantity.unit.end <= quantity.start
                             or not set(quantity.unit.candidates) <= self._window_units):
            # "at least two permanent first molars", "grade ≥ 2 neuropathy", "at least 6 mm probing depth"
            link = _SPACES.match(text, end)
        if link is None and self.timed(quantity):
            event = self._since_word.match(text, end)
            if event is not None:  # "≤ 92 days postpartum": the time since the delivery the word names
                at = event.start() + len(event.group()) - len(event.group().lstrip())
                return [Found(at, event.end(), text[at:event.end()], "condition", None, "subject.open")]
        dated = link is None and self.timed(quantity) and self._in_history_bracket(words, quantity.start)
        if dated:
            # "recent (<6 months) acute cardiac event", "a recent history (within last 2 years) of mucosal disease":
            # the bracket dates what the history word before it opens, named after the bracket
            closing = _CLOSE_BRACKET.match(text, end)
            if closing is not None:
                link = self._link.match(text, closing.end()) or closing
                following = [w for w in words if w.start >= link.end()][:2]
                if len(following) == 2 and following[0].lower in self._heads and following[1].lower in self._attaching:
                    link = self._link.match(text, following[0].end) or link  # "use of opioids": the opioids
        if link is None:
            return []
        begin = link.end()
        _, clause_end = clause_around(self._grammars, text, begin)
        counted = self._counted(text, words, begin)
        if counted is not None:
            begin = counted
        if self.timed(quantity) or counted is not None:  # "2 lines of prior therapy"
            begin = self._past_modifiers(words, begin, clause_end)
        phrase = self._phrase_right(words, begin, clause_end)
        # an entity that starts the words after it is their subject only when it ends them ("weight loss
        # medication": not body weight)
        entity = next((f for f in found if f.start == begin and f.end <= clause_end
                       and (phrase is None or f.end >= phrase[1] or self._only_heads(words, f.end, phrase[1]))), None)
        if entity is None:
            if phrase is None:
                return []
            entity = self._open(text, phrase[0], phrase[1], quantity, found)
            if not self.names_something(entity):
                return []  # "> 3 x 30 min": a sign of the value, not what it limits
            following = next((w for w in words if w.start >= entity.end), None)
            if dated and following is not None and following.lower.isalpha() and following.lower in self._joiners:
                return []  # "recent (= 1 year) drug or alcohol abuse": the head may be both words', not "drug"
        if self.timed(quantity) and any(a.start < entity.end and entity.start < a.end for a in anchors) or not self.fits(entity, quantity):
            return []  # a window's anchor is not what it bounds ("< 750 g birth weight" has no window)
        return [entity]

    def _in_history_bracket(self, words: list[_Word], start: int) -> bool:
        """Whether the amount at ``start`` stands in a bracket, after at most its relation's words, that a history
        word opens ("recent (<6 months)", "Current (past 12 months)", "chronic (longer than the prior 6 months)")."""
        index = _last_before(words, start)
        for _ in range(_RELATION_WORDS + 1):
            if index < 1 or words[index].lower in _BREAKS or words[index].lower in _CLOSING:
                return False
            if words[index].lower == "(":
                return words[index - 1].lower in self._history
            index -= 1
        return False

    def _past_modifiers(self, words: list[_Word], begin: int, ceiling: int) -> int:
        """Where the event named at ``begin`` begins after the determiners, history words and a person's
        possessive before it ("since the end of participant's most recent systemic therapy": systemic therapy)."""
        for word in words:
            if word.end <= begin:
                continue
            if word.start < begin:
                return begin  # inside a word ("post-partum")
            possessive = word.lower.endswith(("'s", "’s")) and word.lower[:-2] in self._persons
            if word.end > ceiling or not (possessive or word.lower in self._modifying or word.lower in self._history):
                return word.start if word.start > begin else begin
        return begin

    def _counted(self, text: str, words: list[_Word], begin: int) -> Optional[int]:
        """Where what a count noun counts begins ("attacks of migraine": migraine), if one starts at ``begin``."""
        following = [w for w in words if w.start >= begin][:3]
        for index, word in enumerate(following[:2]):
            if word.lower in self._counts and index + 1 < len(following) and following[index + 1].lower == "of":
                link = self._link.match(text, word.end)
                return link.end() if link else None
        return None

    def fits(self, subject: Found, quantity: Quantity) -> bool:
        """Whether ``subject`` may be what ``quantity`` measures (see the module docstring)."""
        if subject.rule == "subject.sub_list":  # a list's items are counted, never measured or timed
            return quantity.unit is None and quantity.reference is None and quantity.category is None
        if quantity.reference is not None:
            return subject.type in _MEASURED
        unit = quantity.unit
        if unit is None or unit.dimension in ("score", "other", "frequency") or set(unit.candidates) <= self._window_units:
            return subject.type != "person" or self.measured_in_time(subject)
        if subject.type == "drug":
            return unit.dimension in _DOSES or unit.dimension in ("mass_concentration", "substance_concentration")
        return subject.type in _MEASURED

    def measure_in_unit(self, text: str, found: list[Found], quantity: Quantity) -> Optional[Found]:
        """A lexicon measure of time (not age) named in an amount's unit or right after it ("≥ 33 gestational
        weeks", "36 weeks of gestation", "≥ 24 weeks gestational age"): the amount's subject, before any other."""
        if not self.timed(quantity):
            return None
        unit = quantity.unit
        return next((f for f in found if f.entry is not None and f.entry is not self._age
                     and f.entry.unit in self._window_units
                     and (f.start < unit.end and unit.start < f.end or _SPACES.fullmatch(text, unit.end, f.start))),
                    None)

    def timed(self, quantity: Quantity) -> bool:
        """Whether ``quantity`` is an amount of time (written after its number)."""
        unit = quantity.unit
        return unit is not None and unit.end > quantity.start and set(unit.candidates) <= self._window_units

    def measured_in_time(self, subject: Found) -> bool:
        """Whether a subject is an amount of time itself (age, life expectancy), which no time relation bounds."""
        return subject.entry is not None and (subject.entry.category == "demographic"
                                              or subject.entry.unit in self._window_units)

    def own_words(self, text: str, words: list[_Word], start: int, end: int) -> bool:
        """Whether ``text[start:end]`` has words of its own (not only joiners, gaps, signs and bracketed notes)."""
        depth = 0
        for word in words:
            if word.end <= start or word.start >= end:
                continue
            if word.lower == "(":
                depth += 1
            elif word.lower == ")":
                depth = max(0, depth - 1)
            elif depth == 0 and any(c.isalpha() for c in word.lower) and word.lower not in self._joiners \
                    and word.lower not in self._gap and word.lower not in self._stop:
                return True
        return False

    def names_something(self, subject: Found) -> bool:
        """Whether an open subject's words can name a thing: not a single letter or sign ("3 x 30 min"), not
        only words that describe or quantify (``describing``: "high", "average", "million")."""
        if subject.entry is not None or subject.rule != "subject.open":
            return True
        named = [w.lower() for w in re.findall(r"[^\W\d_]+", subject.text)]
        if len(named) == 1 and len(named[0]) < 2:
            return False
        return not named or not all(w in self._describing for w in named)

    def _open(self, text: str, start: int, end: int, quantity: Quantity, found: list[Found]) -> Found:
        """The entity of an open subject (the same one when the words already are an entity)."""
        same = next((f for f in found if (f.start, f.end) == (start, end)), None)
        if same is not None:
            return same
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", text[start:end])}
        unit = quantity.unit
        if words & self._drug:
            kind = "drug"
        elif words & self._procedure:
            kind = "procedure"
        elif unit is not None and set(unit.candidates) <= self._window_units:
            kind = "condition"
        elif unit is None or unit.dimension == "score":
            kind = "observation"
        else:
            kind = "measurement"
        return Found(start, end, text[start:end], kind, None, "subject.open")


def _line_floor(text: str, start: int, end: int) -> int:
    """Where the last line of ``text[start:end]`` that a line break does not merely wrap begins: a break after a
    colon, before a bullet or a blank line, starts new words ("Within 2 weeks prior to registration:⏎Leukocytes"); a wrapped
    line goes on ("stroke or transient ischemic attack⏎    within 6 months")."""
    at = text.rfind("\n", start, end)
    while at >= 0:
        before = text[start:at].rstrip(" \t")
        if before.endswith((":", "\n")) or text[at + 1:end].lstrip()[:1] in _BULLETS:
            return at + 1
        at = text.rfind("\n", start, at)
    return start


def _sentence_start(text: str, start: int, end: int) -> int:
    """Where the sentence holding ``end`` begins, after ``start``: after the last full stop followed by a space."""
    at = max(text.rfind(". ", start, end), text.rfind("; ", start, end))
    return at + 2 if at >= 0 else start


def _last_before(words: list[_Word], position: int) -> int:
    index = len(words) - 1
    while index >= 0 and words[index].end > position:
        index -= 1
    return index


def _opening(words: list[_Word], closing: int, floor: int) -> Optional[int]:
    """The index of the "(" or "[" that the ")" or "]" at ``closing`` closes, if it is after ``floor``."""
    close = words[closing].lower
    depth = 0
    for index in range(closing, -1, -1):
        if words[index].start < floor:
            return None
        if words[index].lower == close:
            depth += 1
        elif words[index].lower == _CLOSING[close]:
            depth -= 1
            if depth == 0:
                return index
    return None


def _is_number(word: str) -> bool:
    return bool(re.fullmatch(r"[\d.,]+", word))


__all__ = ["NOT_A_PERSONS_AGE", "SubjectPicker"]
