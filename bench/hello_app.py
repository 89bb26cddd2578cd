"""The ceiling: a minimal Flask app, served by gunicorn exactly like the clinic in the same run."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
