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


QUESTIONS: tuple[Question, ...] = (
    Question(
        "bowel_bladder",
        "Have you noticed any new change in bowel or bladder control?",
        "For example difficulty passing urine, leaking, or numbness between the legs.",
        True,
    ),
    Question(
        "weight_loss",
        "Have you lost weight recently without trying?",
        "Weight loss you cannot explain by diet or exercise.",
        False,
    ),
    Question(
        "fever",
        "Do you have a fever, or feel generally unwell?",
        "A high temperature, chills or night sweats alongside the pain.",
        False,
    ),
    Question(
        "trauma",
        "Did the pain start after a recent significant injury?",
        "Such as a fall, a car accident or a blow to the neck or back.",
        True,
    ),
    Question(
        "numbness_weakness",
        "Is numbness or weakness in your arms or legs getting worse?",
        "Numbness, tingling or weakness that is spreading or increasing.",
        True,
    ),
    Question(
        "cancer_history",
        "Have you ever been diagnosed with cancer?",
        "Any cancer, now or in the past.",
        False,
    ),
)

KEYS: tuple[str, ...] = tuple(q.key for q in QUESTIONS)

ADVICE = (
    "Based on your answers, please see your GP or doctor before booking acupuncture. "
    "One or more of the symptoms you reported can be a sign of a condition that needs "
    "a medical assessment first. If your symptoms are severe or getting worse quickly, "
    "call emergency services or go to the nearest emergency department now."
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


def screen(answers: Mapping[str, bool]) -> Result:
    """Which questions were answered yes. Every question must have an answer."""
    missing = [key for key in KEYS if key not in answers]
    if missing:
        raise KeyError(", ".join(missing))
    return Result(tuple(key for key in KEYS if answers[key]))


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
