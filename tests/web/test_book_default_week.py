"""With no week chosen, the picker opens on a week that still has something to book."""

from datetime import UTC, datetime


def test_sunday_opens_on_the_coming_week(client, clock):
    clock.set(datetime(2026, 11, 22, 15, tzinfo=UTC))  # Sunday 10:00 in New York
    page = client.get("/book").get_data(as_text=True)
    assert "November 23" in page and "/consultation?slot=2026-11-23T08" in page.replace("%3A", ":")


def test_a_weekday_with_free_slots_stays_on_this_week(client, clock):
    clock.set(datetime(2026, 11, 18, 13, tzinfo=UTC))  # Wednesday 08:00 in New York
    page = client.get("/book").get_data(as_text=True)
    assert "2026-11-18T" in page.replace("%3A", ":") and "2026-11-23T" not in page.replace("%3A", ":")
