"""The consultation request form and the reschedule form: shape checks only (the services check slots)."""

import re
import unicodedata
from datetime import date, datetime

import email_validator
import phonenumbers
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from clinic.i18n import either, language
from clinic.i18n import lazy_gettext as _l
from clinic.scheduling import parse_slot
from clinic.services.booking.drafts import TYPED, DraftData
from clinic.services.booking.intake import IntakeData
from clinic.signing import MAX_TOKEN_LENGTH
from clinic.timeutil import typed_date
from clinic.triage.enums import Modality, PreferredContact
from clinic.triage.phq9_es import (
    PHQ9_ANSWERS_ES,
    PHQ9_DIFFICULTY_ANSWERS_ES,
    PHQ9_DIFFICULTY_QUESTION_ES,
    PHQ9_ITEMS_ES,
)
from clinic.triage.screening import (
    CONDITIONS,
    MAX_TRIALS,
    PHQ9_ANSWERS,
    PHQ9_DIFFICULTY_ANSWERS,
    PHQ9_DIFFICULTY_QUESTION,
    PHQ9_ITEMS,
)

NAME_MAX = 80
TEXT_MAX = 2000
EMAIL_MAX = 254
PHONE_MAX = 40
ADULT_AGE = 18
MIN_SLOT_YEAR, MAX_SLOT_YEAR = 2000, 2999
DEFAULT_REGION = "US"
# Unicode categories never typed as part of a name: controls, surrogates, private use, unassigned, and
# line or paragraph separators. Bidirectional overrides are refused too: they can disguise text.
REFUSED_CATEGORIES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}

PREFERRED_CONTACT_CHOICES = [
    SelectChoice(PreferredContact.EMAIL.value, _l("Email")),
    SelectChoice(PreferredContact.PHONE.value, _l("Phone call")),
    SelectChoice(PreferredContact.TEXT.value, _l("Text message")),
]
MODALITY_CHOICES = [
    SelectChoice(Modality.INFUSION.value, _l("IV infusion")),
    SelectChoice(Modality.NASAL_SPRAY.value, _l("Nasal spray")),
    SelectChoice(Modality.UNDECIDED.value, _l("Not sure yet: I'd like to discuss the options")),
]
# The PHQ-9 in English, or in its validated Spanish (clinic/triage/phq9_es.py) on Spanish pages.
PHQ9_CHOICES = [
    SelectChoice(str(value), either(label, spanish))
    for value, (label, spanish) in enumerate(zip(PHQ9_ANSWERS, PHQ9_ANSWERS_ES, strict=True))
]
DIFFICULTY_CHOICES = [
    SelectChoice(str(value), either(label, spanish))
    for value, (label, spanish) in enumerate(
        zip(PHQ9_DIFFICULTY_ANSWERS, PHQ9_DIFFICULTY_ANSWERS_ES, strict=True)
    )
]
# CONDITIONS' labels, marked for translation here (the triage core stays wordless about languages).
CONDITION_LABELS = {
    "aneurysm": _l("Aneurysm or arteriovenous malformation"),
    "brain_bleed": _l("Bleeding in the brain, stroke"),
    "hypertension": _l("High blood pressure"),
    "heart_disease": _l("Heart disease or irregular heartbeat"),
    "psychosis": _l("Psychosis, schizophrenia or mania"),
    "substance_use": _l("Alcohol or drug use problems"),
    "pregnancy": _l("Pregnant, trying or breastfeeding"),
    "seizures": _l("Seizures"),
    "ketamine_allergy": _l("Allergy or bad reaction to ketamine or esketamine"),
}
assert {code: str(label) for code, label in CONDITION_LABELS.items()} == CONDITIONS
CONDITION_CHOICES = [SelectChoice(code, CONDITION_LABELS[code]) for code in CONDITIONS]
# The date field shows month/day/year (US English): the hint and the message say it the same way.
BIRTH_DATE_HINT = _l("Month, day and year, for example 04/12/1985. The clinic sees adults (18 or over).")
BIRTH_DATE_MESSAGE = _l("Please enter your date of birth as month, day and year, for example 04/12/1985.")
WHOLE_NUMBER = re.compile(r"\d{1,3}")


class ChoiceField(RadioField):
    """Radio buttons whose error for a value not offered says what to do."""

    def pre_validate(self, form) -> None:
        if self.data is not None and not any(self.data == choice.value for choice in self.choices):
            raise ValidationError(_("Please choose one of the options shown."))


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (several may be ticked)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        known = {choice.value for choice in self.choices}
        if any(value not in known for value in self.data or []):
            raise ValidationError(_("Please tick only the options shown."))


def parse_offered_range(text: str) -> datetime:
    """parse_slot, refusing years no clinic books (far dates would overflow the date arithmetic)."""
    starts_at = parse_slot(text)
    if not MIN_SLOT_YEAR <= starts_at.year <= MAX_SLOT_YEAR:
        raise ValueError("not a plausible consultation time")
    return starts_at


def has_refused_characters(text: str) -> bool:
    return any(unicodedata.category(c) in REFUSED_CATEGORIES or c in BIDI_CONTROLS for c in text)


def required(message: str):
    """Required, with a message that says what to do; whitespace alone counts as empty."""

    def check(form, field: Field) -> None:
        data = field.data
        if data is None or (isinstance(data, str) and not data.strip()) or data is False:
            field.errors[:] = []
            raise StopValidation(message)

    check.field_flags = {"required": True}
    return check


def printable_name(form, field: Field) -> None:
    value = field.data or ""
    if has_refused_characters(value):
        raise ValidationError(_("Please use only letters, spaces and punctuation (no control characters)."))
    if len(unicodedata.normalize("NFC", value)) > NAME_MAX:  # stored in NFC, which may be longer
        raise ValidationError(_("Please use at most %(count)s characters.", count=NAME_MAX))


def no_control_characters(form, field: Field) -> None:
    """Free text may span lines, but carries no other control character."""
    value = (field.data or "").replace("\r\n", "\n").replace("\t", " ")
    if any(unicodedata.category(c) in {"Cc", "Cs"} and c != "\n" for c in value):
        raise ValidationError(_("Please remove the special (control) characters from this text."))
    if len(value) > TEXT_MAX:
        raise ValidationError(
            _(
                "Please shorten this to at most %(count)s characters (now %(now)s).",
                count=TEXT_MAX,
                now=len(value),
            )
        )


def strip(value):
    return value.strip() if isinstance(value, str) else value


class Phq9Questions:
    """The PHQ-9's nine items (`phq9_1` … `phq9_9`) and its closing question (`phq9_difficulty`), with one
    wording and one validation for every form that asks them: the intake and the check-ins.

    A form class lists it first (`class CheckInForm(Phq9Questions, FlaskForm)`); the fields are added to each
    such class once its own fields exist, so they keep coming after them (the error summary's order).
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "phq9_1" in dir(cls):
            return
        for number, (text, spanish) in enumerate(zip(PHQ9_ITEMS, PHQ9_ITEMS_ES, strict=True), start=1):
            setattr(
                cls,
                f"phq9_{number}",
                ChoiceField(
                    either(text, spanish),
                    choices=PHQ9_CHOICES,
                    validators=[InputRequired(_l("Please choose one answer."))],
                ),
            )
        # optional and unscored: nothing chosen (or an empty value) is None
        cls.phq9_difficulty = ChoiceField(
            either(PHQ9_DIFFICULTY_QUESTION, PHQ9_DIFFICULTY_QUESTION_ES),
            choices=DIFFICULTY_CHOICES,
            filters=[lambda value: value or None],
        )

    def phq9_fields(self) -> list[Field]:
        return [self[f"phq9_{i}"] for i in range(1, len(PHQ9_ITEMS) + 1)]

    @property
    def phq9_answers(self) -> tuple[int, ...]:
        return tuple(int(f.data) for f in self.phq9_fields())

    @property
    def phq9_difficulty_answer(self) -> int | None:
        """The closing question's answer, or None when it was left out."""
        return None if self.phq9_difficulty.data in (None, "") else int(self.phq9_difficulty.data)


def _typed(value: str | None) -> str:
    return clean_text(value)[:TEXT_MAX]


class SavesDrafts:
    """The intake form's "Save and finish later": only the email must be valid; the rest is kept as typed."""

    def valid_for_draft(self: "IntakeForm") -> bool:
        """Check the email alone (its message goes beside it); other fields may be empty or half done."""
        return self.email.validate(self, extra_validators=[IntakeForm.validate_email])

    def self_harm_answered(self: "IntakeForm") -> bool:
        """PHQ-9 item 9 answered above 0 on the form as sent (the answers themselves are never saved)."""
        return self.phq9_9.data in {"1", "2", "3"}

    def draft_data(self: "IntakeForm") -> DraftData:
        """The form as typed, for a draft: without the PHQ-9 and the consents; choices only as offered."""
        try:
            starts_at = parse_offered_range(self.slot.data or "")
        except ValueError:
            starts_at = None
        chosen = set(self.conditions.data or [])
        contact = self.preferred_contact.data
        modality = self.modality.data
        return DraftData(
            email=self.parsed_email,
            first_name=_typed(self.first_name.data),
            last_name=_typed(self.last_name.data),
            phone=_typed(self.phone.data),
            date_of_birth=_typed(self.date_of_birth.data),
            preferred_contact=contact if contact in {c.value for c in PreferredContact} else "",
            antidepressant_trials=_typed(self.antidepressant_trials.data),
            conditions=tuple(code for code in CONDITIONS if code in chosen),
            modality=modality if modality in {m.value for m in Modality} else "",
            medications=_typed(self.medications.data),
            notes=_typed(self.notes.data),
            starts_at=starts_at,
            language=language(),
        )

    def fill_from_draft(self: "IntakeForm", data: DraftData, *, slot: str, token: str) -> None:
        """Put a saved draft back into the form (the PHQ-9 stays empty: it is answered in one sitting)."""
        self.slot.data = slot
        for name in TYPED:
            self[name].data = getattr(data, name)
        self.preferred_contact.data = data.preferred_contact or None
        self.modality.data = data.modality or None
        self.conditions.data = list(data.conditions)
        self.draft.data = token


class IntakeForm(SavesDrafts, Phq9Questions, FlaskForm):
    """POST /consultation. Field names are the contract listed in docs/http.md."""

    slot = StringField(_l("Consultation time"))
    first_name = StringField(
        _l("First name"),
        filters=[strip],
        validators=[required(_l("Please enter your first name.")), printable_name],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Last name"),
        filters=[strip],
        validators=[required(_l("Please enter your last name.")), printable_name],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "family-name"},
    )
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[required(_l("Please enter your email address."))],
        render_kw={"maxlength": EMAIL_MAX, "autocomplete": "email"},
    )
    phone = TelField(
        _l("Phone number"),
        filters=[strip],
        validators=[required(_l("Please enter your phone number."))],
        render_kw={"maxlength": PHONE_MAX, "autocomplete": "tel"},
    )
    date_of_birth = StringField(
        _l("Date of birth"),
        filters=[strip],
        validators=[required(_l("Please enter your date of birth."))],
        render_kw={"type": "date", "autocomplete": "bday"},
    )
    preferred_contact = ChoiceField(
        _l("How should we contact you?"),
        choices=PREFERRED_CONTACT_CHOICES,
        validators=[InputRequired(_l("Please choose how we should contact you."))],
    )
    antidepressant_trials = StringField(
        _l("How many different antidepressant medicines have you tried?"),
        filters=[strip],
        validators=[required(_l("Please enter a number (0 if none)."))],
        render_kw={"inputmode": "numeric", "maxlength": 2},
    )
    conditions = CheckboxesField(
        _l("Do any of these apply to you now or in the past?"),
        choices=CONDITION_CHOICES,
    )
    modality = ChoiceField(
        _l("Which treatment would you like to discuss?"),
        choices=MODALITY_CHOICES,
        validators=[InputRequired(_l("Please choose a treatment, or 'Not sure yet'."))],
    )
    medications = TextAreaField(
        _l("Medicines you take now (optional)"),
        validators=[no_control_characters],
        render_kw={"maxlength": TEXT_MAX},
    )
    notes = TextAreaField(
        _l("Anything else you would like us to know (optional)"),
        validators=[no_control_characters],
        render_kw={"maxlength": TEXT_MAX},
    )
    consent_privacy = BooleanField(
        _l(
            "I have read the privacy notice and agree that the clinic stores and uses these details to "
            "review my request."
        ),  # the template links "privacy notice" to /privacy
        validators=[required(_l("Please agree to the privacy notice so that we can review your request."))],
    )
    consent_contact = BooleanField(
        _l("I agree that the clinic may contact me about this request by the means I chose."),
        validators=[required(_l("Please agree that we may contact you about this request."))],
    )
    website = StringField(
        _l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"}
    )  # honeypot: people never see it, bots fill it in
    # The link's token of the saved draft this form was resumed from: sending the request deletes it.
    draft = HiddenField(filters=[lambda value: (value or "")[:MAX_TOKEN_LENGTH]])

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.parsed_phone = ""
        self.parsed_email = ""
        self.parsed_birth: date | None = None
        self.parsed_trials = 0

    def validate_slot(self, field: Field) -> None:
        try:
            parse_offered_range(field.data or "")
        except ValueError:
            raise ValidationError(_("Please choose a consultation time.")) from None

    def validate_email(self, field: Field) -> None:
        if len(field.data) > EMAIL_MAX or has_refused_characters(field.data):
            raise ValidationError(_("Please enter a valid email address, like name@example.com."))
        try:
            result = email_validator.validate_email(field.data, check_deliverability=False)
        except email_validator.EmailNotValidError:
            raise ValidationError(_("Please enter a valid email address, like name@example.com.")) from None
        self.parsed_email = result.normalized

    def validate_phone(self, field: Field) -> None:
        message = _(
            "Please enter a phone number we can reach you on, like (212) 555-0142 or +44 20 7946 0958."
        )
        if len(field.data) > PHONE_MAX or has_refused_characters(field.data):
            raise ValidationError(message)
        try:
            number = phonenumbers.parse(field.data, DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            raise ValidationError(message) from None
        if not phonenumbers.is_valid_number(number):
            raise ValidationError(message)
        self.parsed_phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def validate_antidepressant_trials(self, field: Field) -> None:
        if not WHOLE_NUMBER.fullmatch(field.data) or int(field.data) > MAX_TRIALS:
            raise ValidationError(_("Please enter a whole number from 0 to %(most)s.", most=MAX_TRIALS))
        self.parsed_trials = int(field.data)

    def validate_date_of_birth(self, field: Field) -> None:
        born = typed_date(field.data)
        if born is None:
            raise ValidationError(BIRTH_DATE_MESSAGE)
        if born > self.today or born.year < 1900:
            raise ValidationError(_("Please check the year of your date of birth."))
        if age_on(born, self.today) < ADULT_AGE:
            raise ValidationError(
                _(
                    "We are sorry: the clinic sees adults only (age %(age)s or over). Please speak with "
                    "your doctor about other options. If you need help now, call or text 988.",
                    age=ADULT_AGE,
                )
            )
        self.parsed_birth = born

    def intake_data(self) -> IntakeData:
        """The validated form as the intake service takes it: text tidied, values parsed."""
        chosen = set(self.conditions.data or [])
        return IntakeData(
            starts_at=parse_offered_range(self.slot.data),
            first_name=clean_text(self.first_name.data),
            last_name=clean_text(self.last_name.data),
            email=self.parsed_email,
            phone=self.parsed_phone,
            date_of_birth=self.parsed_birth,
            preferred_contact=PreferredContact(self.preferred_contact.data),
            phq9=self.phq9_answers,
            antidepressant_trials=self.parsed_trials,
            modality=Modality(self.modality.data),
            conditions=tuple(code for code in CONDITIONS if code in chosen),
            medications=clean_text(self.medications.data),
            notes=clean_text(self.notes.data),
            phq9_difficulty=self.phq9_difficulty_answer,
            language=language(),
        )


def summary_items(form, *, skip: tuple[str, ...] = ("csrf_token",)) -> list[tuple[str, str, str]]:
    """(field id, label, first message) of each field in error, for the error summary's links: a group of
    radios or checkboxes is linked through its first input."""
    return [
        (f"{f.id}-0" if isinstance(f, RadioField | SelectMultipleField) else f.id, f.label.text, f.errors[0])
        for f in form
        if f.errors and f.name not in skip
    ]


def clean_text(value: str | None) -> str:
    """Free text as stored: one kind of line break, no surrounding blanks, composed Unicode (NFC)."""
    return unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n").strip())


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class RescheduleForm(FlaskForm):
    """POST /appointments/<token>/reschedule: the new time (field `slot`)."""

    slot = StringField(_l("New time"))

    def validate_slot(self, field: Field) -> None:
        try:
            parse_offered_range(field.data or "")
        except ValueError:
            raise ValidationError(_("Please choose a new time.")) from None


class CancelForm(FlaskForm):
    """POST /appointments/<token>/cancel: the CSRF token is all it carries."""
