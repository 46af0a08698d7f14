from flask import Blueprint

bp = Blueprint("clinic", __name__)

from tracker.clinic import routes  # noqa: E402, F401
