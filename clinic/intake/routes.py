from flask import Blueprint, render_template

bp = Blueprint("intake", __name__)


@bp.route("/consultation", methods=["GET"])
def consultation():
    return render_template("public/home.html")
