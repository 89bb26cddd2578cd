"""Pure triage rules: screening and the request workflow. No Flask here."""
