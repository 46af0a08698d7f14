from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from tracker.admin import routes  # noqa: E402, F401
from tracker.admin import staff_routes  # noqa: E402, F401
