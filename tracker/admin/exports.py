"""The Exports page: a clinic's CSV files for admins, streamed and audited."""

from flask import Response, render_template
from flask_login import current_user

from tracker.admin import bp
from tracker.exports.tables import CSV_EXPORTS
from tracker.services.actors import Actor
from tracker.services.exports import csv_export


@bp.route("/exports")
def exports():
    return render_template("admin/exports.html", exports=CSV_EXPORTS.values())


@bp.route("/exports/<name>.csv")
def download(name: str):
    chunks = csv_export(name, current_user.clinic_id, Actor(current_user, "user"))
    return Response(
        chunks,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
