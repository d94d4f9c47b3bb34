"""Structured logging: every record carries the request id, correlation id, partner and OCPI module."""

import logging

from ocpi.core import context


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        # `module` is taken by LogRecord (the Python module), so the OCPI module is `ocpi_module`.
        for name, value in (
            ("request_id", ctx.request_id),
            ("correlation_id", ctx.correlation_id),
            ("partner", ctx.partner),
            ("ocpi_module", ctx.module),
        ):
            if not hasattr(record, name):
                setattr(record, name, value)
        return True
