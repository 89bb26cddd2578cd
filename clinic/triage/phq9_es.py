"""The PHQ-9 in its validated Spanish for the USA, word for word as published with the PHQ screeners.

Source: "PHQ-9 Cuestionario sobre la salud del paciente", Spanish for the USA (Pfizer Inc., 2005), published
with the PHQ screeners at https://www.phqscreeners.com (Kroenke, Spitzer and Williams, J Gen Intern Med
2001;16:606-613). Validation in Spanish-speaking US primary care: Wulsin, Somoza and Heck, Prim Care Companion
J Clin Psychiatry 2002;4(5):191-195; Huang et al., J Gen Intern Med 2006;21:547-552. The instrument may be
reproduced and translated without permission; its wording must not be changed, so these strings are not in
the gettext catalog (a translator's edit would break the validation). Indexes match screening.PHQ9_*.
"""

# The form's own footer follows the first sentence, word for word as the Spanish (US) form prints it.
PHQ9_SOURCE_ES = (
    "PHQ-9 en español para los EE. UU. (Pfizer Inc.), publicado con los cuestionarios PHQ en "
    "phqscreeners.com. Elaborado por los doctores Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke y "
    "colegas, mediante una subvención educativa otorgada por Pfizer Inc. No se requiere permiso para "
    "reproducir, traducir, presentar o distribuir."
)

PHQ9_QUESTION_ES = (
    "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?"
)

PHQ9_ITEMS_ES: tuple[str, ...] = (
    "Poco interés o placer en hacer cosas",
    "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
    "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
    "Se ha sentido cansado(a) o con poca energía",
    "Sin apetito o ha comido en exceso",
    "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con usted mismo(a) o "
    "con su familia",
    "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la "
    "televisión",
    "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario – muy "
    "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
    "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
)

PHQ9_ANSWERS_ES: tuple[str, ...] = (
    "Ningún día",
    "Varios días",
    "Más de la mitad de los días",
    "Casi todos los días",
)

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

PHQ9_DIFFICULTY_ES = {"question": PHQ9_DIFFICULTY_QUESTION_ES, "answers": PHQ9_DIFFICULTY_ANSWERS_ES}
