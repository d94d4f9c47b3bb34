"""cdr_get and cdrs_visible_to: privacy (interop lesson 14) and constant-query rendering."""

from __future__ import annotations

import pytest

from ocpi.cdrs.models import Cdr
from ocpi.cdrs.schemas import CDR
from ocpi.cdrs.selectors import cdr_get, cdrs_visible_to
from ocpi.cdrs.services import cdr_create, cdrs_to_json
from ocpi.core.exceptions import UnknownObject
from ocpi.models import Party
from tests.conftest import example

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_cpo() -> Party:
    return Party.objects.create(country_code="NL", party_id="OWN", role="CPO", business_name="own cpo")


def _cdr(owner: Party, cdr_id: str, emsp: tuple[str, str], last_updated: str = "2020-01-01T00:00:00Z") -> Cdr:
    data = {
        **example("cdr_example.json"),
        "country_code": owner.country_code,
        "party_id": owner.party_id,
        "id": cdr_id,
        "last_updated": last_updated,
    }
    data["cdr_token"] = {**data["cdr_token"], "country_code": emsp[0], "party_id": emsp[1]}
    return cdr_create(party=owner, data=data)[0]


def test_cdr_get_in_any_case(own_cpo):
    _cdr(own_cpo, "Cdr-1", ("DE", "ABC"))
    assert cdr_get(country_code="nl", party_id="own", cdr_id="CDR-1").ocpi_id == "Cdr-1"
    with pytest.raises(UnknownObject):
        cdr_get(country_code="NL", party_id="OWN", cdr_id="other")


def test_caller_sees_only_cdrs_of_its_own_emsp_tokens(make_partner, own_cpo):
    alice = make_partner([("DE", "ABC", "EMSP"), ("DE", "ABD", "EMSP")])
    bob = make_partner([("FR", "BOB", "EMSP")])
    partner_cpo = make_partner([("BE", "BEC", "CPO")])
    _cdr(own_cpo, "a1", ("DE", "ABC"), "2020-01-03T00:00:00Z")
    _cdr(own_cpo, "a2", ("de", "abd"), "2020-01-01T00:00:00Z")
    _cdr(own_cpo, "b1", ("FR", "BOB"), "2020-01-02T00:00:00Z")
    _cdr(partner_cpo.parties[0], "foreign", ("DE", "ABC"))

    assert [c.ocpi_id for c in cdrs_visible_to(caller_parties=alice.parties)] == ["a2", "a1"]
    assert [c.ocpi_id for c in cdrs_visible_to(caller_parties=bob.parties)] == ["b1"]
    assert list(cdrs_visible_to(caller_parties=partner_cpo.parties)) == []
    assert cdrs_visible_to(caller_parties=[]).ordered


@pytest.mark.parametrize("page_size", [10, 100, 1000])
def test_a_page_renders_in_constant_queries(partner, own_cpo, django_assert_num_queries, page_size):
    template = _cdr(own_cpo, "template", ("DE", "ABC"))
    fields = {f.attname: getattr(template, f.attname) for f in Cdr._meta.concrete_fields if f.attname != "id"}
    Cdr.objects.bulk_create(Cdr(**{**fields, "ocpi_id": f"c{n}"}) for n in range(999))
    with django_assert_num_queries(1):
        rendered = cdrs_to_json(cdrs_visible_to(caller_parties=partner.parties)[:page_size])
    assert len(rendered) == page_size
    assert CDR.model_validate(rendered[-1]).to_json() == rendered[-1]
