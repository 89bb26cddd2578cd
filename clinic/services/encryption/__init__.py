"""Keeping the encryption at rest current: re-sealing stored values under the newest data key."""
