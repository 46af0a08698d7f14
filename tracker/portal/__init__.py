from flask import Blueprint

bp = Blueprint("portal", __name__)

from tracker.portal import details_routes, routes  # noqa: E402, F401
