"""The PHQ-9 in its Spanish (United States) wording, as published with the PHQ screeners.

Pure data, shaped like the English constants in clinic.triage.screening and indexed the same way: item
n of PHQ9_ITEMS_ES is item n of PHQ9_ITEMS, and answer value v is PHQ9_ANSWERS_ES[v]. The wording is
the instrument's own translation, word for word, including its "(a)" endings and its punctuation; do
not edit it into plainer Spanish, or it is no longer the validated questionnaire. The items, the scoring
(0-27), the bands and the item 9 rule are those of the English form.
"""

PHQ9_SOURCE_ES = (
    "Cuestionario sobre la salud del paciente-9 (PHQ-9), versión en español para los Estados Unidos "
    "(Spanish for the USA), publicado con los PHQ Screeners (phqscreeners.com). Desarrollado por los "
    "Dres. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke y colegas, con una beca educativa de "
    "Pfizer Inc. No se requiere permiso para reproducir, traducir, mostrar o distribuir. "
    "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity measure. "
    "J Gen Intern Med 2001;16(9):606-613."
)

# The English PHQ9_QUESTION.
PHQ9_QUESTION_ES = (
    "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?"
)

# The English PHQ9_ITEMS, in the same order (item 9 is the self-harm item).
PHQ9_ITEMS_ES: tuple[str, ...] = (
    "Poco interés o placer en hacer cosas",
    "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
    "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
    "Se ha sentido cansado(a) o con poca energía",
    "Sin apetito o ha comido en exceso",
    "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con usted mismo(a) "
    "o con su familia",
    "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la "
    "televisión",
    "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario – muy "
    "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
    "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
)

# Indexed by the answer's value, like PHQ9_ANSWERS: PHQ9_ANSWERS_ES[2] == "Más de la mitad de los días".
PHQ9_ANSWERS_ES: tuple[str, ...] = (
    "Ningún día",
    "Varios días",
    "Más de la mitad de los días",
    "Casi todos los días",
)

# The closing question (never scored), like PHQ9_DIFFICULTY_QUESTION and PHQ9_DIFFICULTY_ANSWERS.
PHQ9_DIFFICULTY_QUESTION_ES = (
    "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su "
    "trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?"
)
PHQ9_DIFFICULTY_ANSWERS_ES: tuple[str, ...] = (
    "No ha sido difícil",
    "Un poco difícil",
    "Muy difícil",
    "Extremadamente difícil",
)
# Both together, for callers that want the closing question in one name.
PHQ9_DIFFICULTY_ES: dict[str, str | tuple[str, ...]] = {
    "question": PHQ9_DIFFICULTY_QUESTION_ES,
    "answers": PHQ9_DIFFICULTY_ANSWERS_ES,
}
