from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from tracker.admin import plan_routes, routes  # noqa: E402, F401
