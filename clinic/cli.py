"""Command-line tasks: `flask --app clinic <command>`."""

from flask import Flask


def register(app: Flask) -> None:
    pass
