"""Use cases: one function each, owning their transaction. No request, session or current_user here."""
