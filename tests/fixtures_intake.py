"""Fixtures for consultation requests. Owned by the intake area; other areas may use them.

- `make_request(**overrides)` -> request id: a stored request with an active booking (committed)
"""
