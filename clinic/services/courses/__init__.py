"""Treatment courses after the consultation: proposing and booking a course of sessions in treatment chairs,
each session's outcome, moves and driver confirmation, the REMS paperwork, the chair board, the patient's
course link, its emails and reminders. The pure planner is `clinic.scheduling.courses`.

Modules: `kinds` (treatment kinds), `chairs` (chairs, their holds and claims), `proposals` (what staff
are offered), `booking` (a whole course, all or nothing), `sessions` (one session's changes), `rems`
(enrolment and forms due), `board` (the day's chairs), `links` (the patient's signed link), `messages`
(emails and the calendar file), `reminders` (the day-before job).
"""
