from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from tracker.admin import exports, routes  # noqa: E402, F401
