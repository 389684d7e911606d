"""Red-flag screening: symptoms that need a doctor before any acupuncture."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str
    hint: str
    urgent: bool
    # Asked again before each visit: is this new since the last one?
    since: str = ""
    # How staff pages name a yes to it.
    flag: str = ""
    # The hint under `since`, where the booking's hint does not fit.
    since_hint: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question(
        "bowel_bladder",
        "Have you noticed any new change in bowel or bladder control?",
        "For example difficulty passing urine, leaking, or numbness between the legs.",
        True,
        "Since your last visit, have you noticed a new change in bowel or bladder control?",
        "A new change in bowel or bladder control",
    ),
    Question(
        "weight_loss",
        "Have you lost weight recently without trying?",
        "Weight loss you cannot explain by diet or exercise.",
        False,
        "Since your last visit, have you lost weight without trying?",
        "Weight loss without trying",
    ),
    Question(
        "fever",
        "Do you have a fever, or feel generally unwell?",
        "A high temperature, chills or night sweats alongside the pain.",
        False,
        "Since your last visit, have you had a fever, or felt generally unwell?",
        "A fever, or feeling generally unwell",
    ),
    Question(
        "trauma",
        "Did the pain start after a recent significant injury?",
        "Such as a fall, a car accident or a blow to the neck or back.",
        True,
        "Since your last visit, have you had a significant injury, such as a fall or an accident?",
        "Pain after a recent significant injury",
        "For example a blow to the neck or back, or a car accident.",
    ),
    Question(
        "numbness_weakness",
        "Is numbness or weakness in your arms or legs getting worse?",
        "Numbness, tingling or weakness that is spreading or increasing.",
        True,
        "Since your last visit, has numbness or weakness in your arms or legs got worse?",
        "Numbness or weakness getting worse",
    ),
    Question(
        "cancer_history",
        "Have you ever been diagnosed with cancer?",
        "Any cancer, now or in the past. If yes, two short questions follow.",
        False,
        "Since your last visit, have you been told you have cancer, or that it has come back?",
        "Cancer that is active or recent, or not yet known to a doctor alongside this pain",
        "A new diagnosis, or news that a cancer has come back.",
    ),
)

KEYS: tuple[str, ...] = tuple(q.key for q in QUESTIONS)

# Asked only after a yes to `cancer_history`. A past cancer is not a reason to turn anyone
# away: cancer that is active or recent, or that no doctor has considered alongside this
# pain, is.
CANCER = "cancer_history"
FOLLOW_UPS: tuple[Question, ...] = (
    Question(
        "cancer_active",
        "Is the cancer active now, or have you been treated for it in the last five years?",
        "Treatment includes surgery, chemotherapy, radiotherapy or hormone therapy.",
        False,
    ),
    Question(
        "cancer_pain_known",
        "Does a doctor who knows about your cancer know about this neck or back pain?",
        "For example, you have seen your GP, oncologist or specialist about this pain.",
        False,
    ),
)
FOLLOW_UP_KEYS: tuple[str, ...] = tuple(q.key for q in FOLLOW_UPS)
# The answer to each follow-up that makes a past cancer a red flag.
FLAGGING_ANSWER = {"cancer_active": True, "cancer_pain_known": False}

ADVICE = (
    "Based on your answers, please see your GP or doctor before booking acupuncture. "
    "One or more of the symptoms you reported can be a sign of a condition that needs "
    "a medical assessment first. If your symptoms are severe or getting worse quickly, "
    "call emergency services or go to the nearest emergency department now."
)

# Before a visit already booked: the same advice, for someone who is not booking.
RECHECK_ADVICE = (
    "Please see your GP or doctor about this before your next acupuncture session. It can "
    "be a sign of a condition that needs a medical assessment first. If your symptoms are "
    "severe or getting worse quickly, call emergency services or go to the nearest "
    "emergency department now."
)

URGENT_ADVICE = (
    "Some of what you reported, such as new bladder or bowel problems, spreading numbness "
    "or weakness, or pain after a serious injury, can need urgent care. Please call "
    "emergency services or go to an emergency department today."
)


@dataclass(frozen=True, slots=True)
class Result:
    red_flags: tuple[str, ...]

    @property
    def clear(self) -> bool:
        return not self.red_flags

    @property
    def urgent(self) -> bool:
        urgent_keys = {q.key for q in QUESTIONS if q.urgent}
        return any(key in urgent_keys for key in self.red_flags)


def cancer_is_flag(answers: Mapping[str, bool]) -> bool:
    """A yes to cancer is a red flag unless both follow-ups say it is past and known:
    not active or treated in five years, and a doctor aware of this pain. Follow-ups left
    unanswered count as a flag, the safe side."""
    if not answers.get(CANCER):
        return False
    return any(
        key not in answers or bool(answers[key]) is flagging
        for key, flagging in FLAGGING_ANSWER.items()
    )


def screen(answers: Mapping[str, bool]) -> Result:
    """Which questions were answered yes to a red flag. Every question must have an
    answer; the cancer follow-ups decide whether a yes to cancer is one."""
    missing = [key for key in KEYS if key not in answers]
    if missing:
        raise KeyError(", ".join(missing))
    return Result(
        tuple(
            key
            for key in KEYS
            if (cancer_is_flag(answers) if key == CANCER else bool(answers[key]))
        )
    )


def stored(answers: Mapping[str, bool]) -> dict[str, bool]:
    """The answers as a booking keeps them: every question, and the follow-ups only
    when cancer was answered yes and they were answered."""
    kept = {key: bool(answers.get(key)) for key in KEYS}
    if kept[CANCER]:
        kept.update({key: bool(answers[key]) for key in FOLLOW_UP_KEYS if key in answers})
    return kept


def recheck(answers: Mapping[str, bool]) -> Result:
    """The answers before a visit to 'is this new since your last visit?', one per
    red-flag question: every yes is a flag (a new or returning cancer included)."""
    missing = [key for key in KEYS if key not in answers]
    if missing:
        raise KeyError(", ".join(missing))
    return Result(tuple(key for key in KEYS if answers[key]))


def flag_label(key: str) -> str:
    return next(q.flag or q.text for q in QUESTIONS if q.key == key)


DEFAULT_DISCLAIMER = (
    "Acupuncture is a complementary treatment. It works alongside, and never replaces, "
    "the care of your GP or doctor. Neck and back pain can occasionally be a sign of a "
    "condition that needs medical treatment, so please see your GP or doctor about your "
    "symptoms, and keep taking any treatment they have prescribed."
)

INSURANCE_NOTE = (
    "Some health insurance plans cover acupuncture. Your insurer may need to approve the "
    "course before it starts, or you may pay the clinic and claim the cost back afterwards, "
    "so check your policy before your first visit."
)
