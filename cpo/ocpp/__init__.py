"""The OCPP central system (OCPP 1.6J and 2.0.1) and its bridge to OCPI 2.2.1.

Chargers connect over OCPP-J WebSockets (`run_ocpp`); what they report becomes OCPI EVSE statuses,
Sessions and CDRs through the OCPI module services. See docs/ocpp.md for every mapping and decision.
"""
