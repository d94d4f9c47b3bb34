"""ocpp_add_charger and the admin: registering chargers, mapping connectors, passwords stored hashed."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from cpo.ocpp.models import ChargePoint, OcppConnector
from cpo.ocpp.passwords import password_check
from ocpi.locations.models import Location
from ocpi.locations.services import location_to_schema
from tests.cpo.ocpp.conftest import PASSWORD, Site


def test_add_charger_to_a_location(site: Site) -> None:
    out = StringIO()
    call_command("ocpp_add_charger", "CP-A", password=PASSWORD, location="loc-ocpp", connectors=2, stdout=out)
    charge_point = ChargePoint.objects.get(identity="CP-A")
    assert "2 connector(s) mapped to location LOC-OCPP" in out.getvalue()
    assert charge_point.location_id == site.location.pk
    assert PASSWORD not in charge_point.password_hash
    assert password_check(identity="CP-A", password=PASSWORD, encoded=charge_point.password_hash)
    assert not password_check(identity="CP-A", password=PASSWORD + "x", encoded=charge_point.password_hash)
    mapped = list(
        charge_point.connectors.values_list(
            "ocpp_evse_id", "ocpp_connector_id", "evse__uid", "connector__ocpi_id"
        )
    )
    assert mapped == [(1, 1, "EVSE-1", "1"), (2, 1, "EVSE-2", "1")]
    with pytest.raises(CommandError, match="0 EVSE"):
        call_command("ocpp_add_charger", "CP-B", password=PASSWORD, location="LOC-OCPP", stdout=out)
    with pytest.raises(CommandError, match="registered already"):
        call_command("ocpp_add_charger", "CP-A", password=PASSWORD, location="LOC-OCPP", stdout=out)


def test_add_charger_with_a_draft_location(site: Site) -> None:
    """Without --location: an unpublished location named after the charger, valid OCPI."""
    out = StringIO()
    call_command("ocpp_add_charger", "CP-NEW", password=PASSWORD, connectors=3, stdout=out)
    location = Location.objects.get(ocpi_id="CP-NEW")
    wire = location_to_schema(location)
    assert wire.publish is False
    assert [evse.uid for evse in wire.evses or []] == ["CP-NEW-1", "CP-NEW-2", "CP-NEW-3"]
    assert {evse.status.value for evse in wire.evses or []} == {"UNKNOWN"}
    assert location.party_id == site.cpo.pk
    assert OcppConnector.objects.filter(charge_point__identity="CP-NEW", evse__location=location).count() == 3
    assert "draft" in out.getvalue()


@pytest.mark.parametrize("password", ["short", "x" * 41, "with spaces in it ok"])
def test_password_rules(site: Site, password: str) -> None:
    with pytest.raises(CommandError, match="OCPP password"):
        call_command("ocpp_add_charger", "CP-P", password=password, location="LOC-OCPP", stdout=StringIO())
    assert not ChargePoint.objects.exists()


def test_admin_pages(site: Site, charger: Callable[..., ChargePoint]) -> None:
    """The charger page shows its state and last messages; a new password typed there is stored hashed;
    a connector cannot be mapped to an EVSE of another location."""
    cp = charger("CP-1")
    cp.messages.create(
        direction="IN",
        message_type=2,
        unique_id="1",
        action="Heartbeat",
        frame='[2,"1","Heartbeat",{}]',
        created_at=cp.created_at,
    )
    User.objects.create_superuser("admin", "admin@example.com", "admin-password")
    client = Client()
    client.login(username="admin", password="admin-password")
    page = client.get(f"/admin/cpo/chargepoint/{cp.pk}/change/")
    assert page.status_code == 200
    assert b"Heartbeat" in page.content
    assert client.get("/admin/cpo/chargepoint/").status_code == 200
    assert client.get("/admin/cpo/ocpptransaction/").status_code == 200
    assert client.get("/admin/cpo/ocppcommand/").status_code == 200

    connectors = list(cp.connectors.order_by("ocpp_evse_id"))
    form: dict[str, Any] = {
        "identity": "CP-1",
        "password": "a-brand-new-password",
        "location": site.location.pk,
        "connectors-TOTAL_FORMS": len(connectors),
        "connectors-INITIAL_FORMS": len(connectors),
        "connectors-MIN_NUM_FORMS": 0,
        "connectors-MAX_NUM_FORMS": 1000,
    }
    for n, row in enumerate(connectors):
        form.update(
            {
                f"connectors-{n}-id": row.pk,
                f"connectors-{n}-charge_point": cp.pk,
                f"connectors-{n}-ocpp_evse_id": row.ocpp_evse_id,
                f"connectors-{n}-ocpp_connector_id": row.ocpp_connector_id,
                f"connectors-{n}-evse": row.evse_id,
                f"connectors-{n}-connector": row.connector_id,
            }
        )
    response = client.post(f"/admin/cpo/chargepoint/{cp.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ChargePoint.objects.get(pk=cp.pk).password_hash
    assert password_check(identity="CP-1", password="a-brand-new-password", encoded=stored)

    form["connectors-1-connector"] = connectors[0].connector_id  # EVSE-2 with EVSE-1's connector
    response = client.post(f"/admin/cpo/chargepoint/{cp.pk}/change/", form)
    assert response.status_code == 200
    assert b"not one of the EVSE" in response.content
