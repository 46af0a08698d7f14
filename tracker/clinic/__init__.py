from flask import Blueprint

bp = Blueprint("clinic", __name__)

from tracker.clinic import compliance_routes, flag_routes, outcome_routes, routes, words  # noqa: E402, F401
