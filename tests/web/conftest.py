"""Fixtures for the page tests."""

import pytest


@pytest.fixture
def admin(admin_client, now):
    """A client signed in as an admin, with the app's clock at the test module's NOW."""
    return admin_client
