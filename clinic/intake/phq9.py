"""The PHQ-9's question and attribution as shown: English, or the validated Spanish (US) on Spanish pages."""

from clinic.i18n import either
from clinic.triage.phq9_es import PHQ9_QUESTION_ES, PHQ9_SOURCE_ES
from clinic.triage.screening import PHQ9_ATTRIBUTION, PHQ9_QUESTION

PHQ9_QUESTION_TEXT = either(PHQ9_QUESTION, PHQ9_QUESTION_ES)
PHQ9_ATTRIBUTION_TEXT = either(PHQ9_ATTRIBUTION, PHQ9_SOURCE_ES)
