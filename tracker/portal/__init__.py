from flask import Blueprint

bp = Blueprint("portal", __name__)

from tracker.portal import routes  # noqa: E402, F401
