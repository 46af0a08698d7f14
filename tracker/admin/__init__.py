from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# routes first: its require_admin runs before the staff pages choose their language.
from tracker.admin import routes, exports, plan_routes, staff_routes  # noqa: E402, F401, I001
