"""CPO role endpoints under /ocpi/2.2.1/cpo/, listed in version details when CPO is in OCPI_ROLES."""

from django.urls import URLPattern

from cpo.views.cdrs import CdrListView
from cpo.views.locations import ConnectorView, EvseView, LocationListView, LocationView
from cpo.views.sessions import ChargingPreferencesView, SessionListView
from cpo.views.tariffs import TariffListView
from cpo.views.tokens import TokenReceiverView
from ocpi.core.urls import ocpi_path

urlpatterns: list[URLPattern] = [
    *ocpi_path("locations", LocationListView.as_view()),
    *ocpi_path("locations/<location_id>", LocationView.as_view()),
    *ocpi_path("locations/<location_id>/<evse_uid>", EvseView.as_view()),
    *ocpi_path("locations/<location_id>/<evse_uid>/<connector_id>", ConnectorView.as_view()),
    *ocpi_path("tariffs", TariffListView.as_view()),
    *ocpi_path("sessions", SessionListView.as_view()),
    *ocpi_path("sessions/<session_id>/charging_preferences", ChargingPreferencesView.as_view()),
    *ocpi_path("cdrs", CdrListView.as_view()),
    *ocpi_path("tokens/<country_code>/<party_id>/<token_uid>", TokenReceiverView.as_view()),
]
