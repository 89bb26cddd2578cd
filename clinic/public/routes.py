from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic.extensions import db

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and monitors."""
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        db.session.rollback()
        return jsonify(status="degraded", database="unavailable"), 503, {"Retry-After": "5"}
    return jsonify(status="ok", database="ok")
