from flask import Blueprint

bp = Blueprint("ops", __name__)

from tracker.ops import routes  # noqa: E402, F401
