"""Offering, holding and moving consultation seats: availability, intake, seats, manage links, references."""
