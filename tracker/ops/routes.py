"""Health and metrics for machines, and the "reminders are late" banner for clinicians."""

import hmac
import ipaddress
import logging
import math
from functools import cache

from flask import Response, current_app, g, has_request_context, jsonify, request
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from config import IPNetwork, metrics_networks
from tracker.extensions import csrf, db
from tracker.ops import bp
from tracker.services.operations import (
    OperationsStatus,
    open_flag_counts,
    operations_banner,
    operations_status,
)
from tracker.timeutil import now_utc

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}

# Probes and scrapers carry no session and post nothing.
csrf.exempt(bp)


@bp.route("/healthz")
def healthz():
    try:
        status = operations_status(now_utc(), with_counts=False)
    except SQLAlchemyError:
        log.exception("Health check: the database did not answer")
        db.session.rollback()
        return jsonify({"status": "error", "database": "error"}), 503, NO_STORE
    age = status.heartbeat_age_seconds
    oldest = status.oldest_overdue_seconds
    body = {
        "status": "ok" if status.healthy else "degraded",
        "database": "ok",
        "scheduler": {
            "heartbeat_age_seconds": round(age) if age is not None else None,
            "fresh": status.heartbeat_fresh,
        },
        "reminders": {
            "overdue": status.overdue_count,
            "oldest_overdue_seconds": round(oldest) if oldest is not None else None,
        },
    }
    return jsonify(body), 200, NO_STORE


@bp.record_once
def check_metrics_allow_list(state) -> None:
    """Refuse to start with a METRICS_ALLOWED_IPS entry that names no address."""
    metrics_networks(state.app.config["METRICS_ALLOWED_IPS"])


@bp.route("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN")
    networks = allowed_networks(tuple(current_app.config.get("METRICS_ALLOWED_IPS") or ()))
    if not may_read_metrics(token, networks):
        return metrics_refused(with_token=bool(token))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrackerCollector())
    return Response(generate_latest(registry), 200, NO_STORE, content_type=CONTENT_TYPE_LATEST)


def may_read_metrics(token: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    """Let in a listed address or the token's bearer; anyone when neither is configured."""
    if not token and not networks:
        return True  # development only: production refuses to start like this
    return client_is_listed(networks) or bool(token and bearer_token_matches(token))


@cache
def allowed_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse the allow-list once per distinct setting, not on every scrape."""
    return metrics_networks(entries)


def client_is_listed(networks: tuple[IPNetwork, ...]) -> bool:
    """Tell whether the connecting address is in one of the allowed networks."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in networks)


def metrics_refused(with_token: bool) -> Response:
    if with_token:
        return Response(
            "A valid metrics token is required.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', **NO_STORE},
            mimetype="text/plain",
        )
    return Response(
        "This address may not read the metrics.\n", 403, NO_STORE, mimetype="text/plain"
    )


def bearer_token_matches(token: str) -> bool:
    """Compare the request's bearer token with the configured one in constant time."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


class TrackerCollector(Collector):
    """Read the outbox, the scheduler heartbeats and the open flags at scrape time."""

    def collect(self):
        status: OperationsStatus = operations_status(now_utc())
        reminders = GaugeMetricFamily(
            "tracker_reminders", "Reminders in the outbox, by status.", labels=["status"]
        )
        for name, total in status.reminders_by_status.items():
            reminders.add_metric([name], total)
        yield reminders
        yield GaugeMetricFamily(
            "tracker_reminders_overdue",
            "Reminders the dispatcher should have claimed more than the alert delay ago.",
            value=status.overdue_count,
        )
        yield GaugeMetricFamily(
            "tracker_reminders_oldest_overdue_seconds",
            "How late the most overdue reminder is (0 when none is overdue).",
            value=status.oldest_overdue_seconds or 0,
        )
        age = status.heartbeat_age_seconds
        yield GaugeMetricFamily(
            "tracker_scheduler_heartbeat_age_seconds",
            "Seconds since the freshest scheduler heartbeat (NaN if none ever beat).",
            value=age if age is not None else math.nan,
        )
        yield GaugeMetricFamily(
            "tracker_scheduler_heartbeat_fresh",
            "1 if a scheduler reported recently enough, else 0.",
            value=1 if status.heartbeat_fresh else 0,
        )
        flags = GaugeMetricFamily(
            "tracker_flags_open", "Flags nobody has acknowledged yet, by kind.", labels=["kind"]
        )
        for kind, total in open_flag_counts().items():
            flags.add_metric([kind], total)
        yield flags


@bp.before_app_request
def forget_operations_banner():
    """Start each request without a banner computed for an earlier one."""
    g.pop("operations_banner", None)


@bp.app_context_processor
def inject_operations_banner():
    """Warn signed-in clinicians when reminders are not going out (once per request)."""
    if not has_request_context() or not current_user.is_authenticated:
        return {"operations_banner": None}
    if "operations_banner" not in g:
        g.operations_banner = operations_banner(now_utc(), current_user.clinic_id)
    return {"operations_banner": g.operations_banner}
