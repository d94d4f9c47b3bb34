"""Stored OCPI 2.2.1 Tokens (§12.3.2), whoever owns them: a partner eMSP's (our CPO's cache) or ours."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.db.models.functions import Upper

from ocpi.models import Party
from ocpi.tokens.schemas import ProfileType, TokenType, WhitelistType


def enum_choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """Model choices taken from the wire enum, so the column and the schema can never disagree."""
    return [(member.value, member.value) for member in enum]


class Token(models.Model):
    """OCPI 2.2.1 §12.3.2 Token object.

    Keyed by (country_code, party_id, uid, type) as §12.3.2 requires: uid is only unique together with
    type. The key is unique case-insensitively on uid (a CiString, §16.1), which also lets the CPO find
    a token from an RFID reader by uid alone. country_code/ocpi_party_id copy the `party`'s codes so lookups
    need no join. `energy_contract` is kept as its wire JSON.
    """

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="tokens", help_text="The eMSP party owning the token."
    )
    country_code = models.CharField(max_length=2)
    ocpi_party_id = models.CharField(
        "party id", max_length=3, help_text="OCPI party_id (`party_id` is the FK)."
    )
    uid = models.CharField(max_length=36)
    type = models.CharField(max_length=11, choices=enum_choices(TokenType))
    contract_id = models.CharField(max_length=36, db_index=True)
    visual_number = models.CharField(max_length=64, null=True, blank=True)
    issuer = models.CharField(max_length=64)
    group_id = models.CharField(max_length=36, null=True, blank=True)
    valid = models.BooleanField()
    whitelist = models.CharField(max_length=15, choices=enum_choices(WhitelistType))
    language = models.CharField(max_length=2, null=True, blank=True)
    default_profile_type = models.CharField(
        max_length=7, choices=enum_choices(ProfileType), null=True, blank=True
    )
    energy_contract = models.JSONField(null=True, blank=True, help_text="§12.4.2 EnergyContract, wire JSON.")
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["last_updated", "pk"]
        constraints = [
            models.UniqueConstraint(
                Upper("uid"), "type", "country_code", "ocpi_party_id", name="ocpi_token_key"
            ),
        ]
        indexes = [models.Index(fields=["last_updated", "id"], name="ocpi_token_last_updated")]

    def __str__(self) -> str:
        return f"{self.country_code}-{self.ocpi_party_id} {self.type} {self.uid}"
