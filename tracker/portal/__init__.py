from flask import Blueprint

bp = Blueprint("portal", __name__)

from tracker.portal import routes  # noqa: E402, F401
from tracker.portal import details_routes  # noqa: E402, F401
