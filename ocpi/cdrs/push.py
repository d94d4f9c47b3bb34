"""Pushing our own CPO's CDRs to the eMSP of their token through the durable outbox (§10.1.2).

The CPO sends a new CDR with POST of the whole object to the eMSP's CDRs Receiver endpoint URL itself
(§10.2.2.2), once: a CDR never changes (§10.1), so there is no update to push. It goes to the eMSP
owning the token only, never to every partner (interop lesson 14). `cdr_create` calls `cdr_pushed`
in the transaction that stores a new CDR; partners' CDRs are never pushed.
"""

from __future__ import annotations

from ocpi.cdrs.models import Cdr
from ocpi.cdrs.services import cdr_to_json
from ocpi.core.routing import PartyRef
from ocpi.models import Party
from ocpi.sync.outbox import Push, outbox_enqueue, push_audience

MODULE = "cdrs"


def cdr_object_key(cdr: Cdr) -> str:
    return f"{cdr.country_code}/{cdr.ocpi_party_id}/{cdr.ocpi_id}"


def cdr_post_push(cdr: Cdr) -> Push:
    """POST of the whole CDR to the Receiver endpoint URL, no path added (§10.2.2.2)."""
    return Push(
        module=MODULE,
        object_key=cdr_object_key(cdr),
        method="POST",
        path="",
        body=cdr_to_json(cdr),
        from_party=PartyRef(cdr.country_code, cdr.ocpi_party_id),
    )


def cdr_pushed(*, cdr: Cdr, party: Party) -> None:
    """Queue the POST of a new CDR of ours for the eMSP of its token. Call it inside the creating
    transaction; partners' CDRs are never pushed."""
    if party.platform_id is not None:
        return
    audience = push_audience(
        module=MODULE,
        owner=party,
        only_parties=[PartyRef(cdr.token_country_code, cdr.token_party_id)],
        to_role="EMSP",
    )
    outbox_enqueue(push=cdr_post_push(cdr), audience=audience)
