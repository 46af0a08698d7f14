from flask import Blueprint

bp = Blueprint("auth", __name__)

from tracker.auth import routes  # noqa: E402, F401
from tracker.auth import account_routes  # noqa: E402, F401
