"""eMSP role endpoints under /ocpi/2.2.1/emsp/, listed in version details when EMSP is in OCPI_ROLES."""

from django.urls import URLPattern

from emsp.views.cdrs import CdrDetailView, CdrReceiverView
from emsp.views.locations import ConnectorReceiverView, EvseReceiverView, LocationReceiverView
from emsp.views.sessions import SessionReceiverView
from emsp.views.tariffs import TariffReceiverView
from emsp.views.tokens import TokenAuthorizeView, TokenListView
from ocpi.core.urls import ocpi_path

LOCATION = "locations/<country_code>/<party_id>/<location_id>"

urlpatterns: list[URLPattern] = [
    *ocpi_path(LOCATION, LocationReceiverView.as_view()),
    *ocpi_path(f"{LOCATION}/<evse_uid>", EvseReceiverView.as_view()),
    *ocpi_path(f"{LOCATION}/<evse_uid>/<connector_id>", ConnectorReceiverView.as_view()),
    *ocpi_path("tariffs/<country_code>/<party_id>/<tariff_id>", TariffReceiverView.as_view()),
    *ocpi_path("tokens", TokenListView.as_view()),
    *ocpi_path("tokens/<token_uid>/authorize", TokenAuthorizeView.as_view()),
    *ocpi_path("sessions/<country_code>/<party_id>/<session_id>", SessionReceiverView.as_view()),
    *ocpi_path("cdrs", CdrReceiverView.as_view()),
    *ocpi_path("cdrs/<country_code>/<party_id>/<cdr_id>", CdrDetailView.as_view()),
]
