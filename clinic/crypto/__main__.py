"""`python -m clinic.crypto`: print a new random key for CLINIC_DATA_KEYS or CLINIC_INDEX_KEY."""

from clinic.crypto.keyring import new_key

print(new_key())
