"""Prometheus metrics (served at /metrics): inbound requests, outbound calls, errors."""

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

REQUESTS = Counter(
    "ocpi_http_requests_total", "Inbound HTTP requests", ["module", "method", "http_status", "ocpi_status"]
)
REQUEST_SECONDS = Histogram("ocpi_http_request_seconds", "Inbound request duration", ["module", "method"])
OUTBOUND = Counter(
    "ocpi_outbound_requests_total", "Outbound OCPI calls to partners", ["module", "method", "outcome"]
)
OUTBOUND_SECONDS = Histogram("ocpi_outbound_request_seconds", "Outbound call duration", ["module", "method"])
ERRORS = Counter(
    "ocpi_errors_total", "OCPI error responses we sent, by status code", ["module", "ocpi_status"]
)


def exposition() -> bytes:
    """Text exposition; aggregates all worker processes when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
