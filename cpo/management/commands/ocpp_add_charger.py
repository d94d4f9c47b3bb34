"""Register a charge point for OCPP: `python manage.py ocpp_add_charger <identity> --password <pw>`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cpo.ocpp.services import charge_point_onboard
from ocpi.core.exceptions import UnknownObject


class Command(BaseCommand):
    help = (
        "Register a charger (identity and password, OCPP security profile 1) and map its connectors 1..N "
        "onto EVSEs of an OCPI location; without --location an unpublished draft location is created."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("identity", help="The charge point identity (last segment of its OCPP URL).")
        parser.add_argument("--password", required=True, help="16 to 40 characters.")
        parser.add_argument("--location", default=None, help="Id of one of our OCPI locations.")
        parser.add_argument(
            "--connectors", type=int, default=1, help="Number of OCPP connectors (default 1)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            charge_point = charge_point_onboard(
                identity=options["identity"],
                password=options["password"],
                location_id=options["location"],
                connectors=options["connectors"],
            )
        except (ValidationError, UnknownObject) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(message) from exc
        location = charge_point.location
        assert location is not None
        draft = "" if location.publish else " (unpublished draft: complete it in admin)"
        self.stdout.write(
            self.style.SUCCESS(
                f"charger {charge_point.identity}: {options['connectors']} connector(s) mapped to location "
                f"{location.ocpi_id}{draft}"
            )
        )
