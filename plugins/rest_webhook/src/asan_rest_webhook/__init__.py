"""ASAN Platform agency connector: signed JSON over HTTP(S), with signed status callbacks.

The protocol an agency implements is in this plugin's ``README.md``. The
platform finds the plugin through the ``asan.plugins`` entry point
``rest_webhook``; tests and the platform's fault tests use
:class:`~asan_rest_webhook.fake_agency.FakeAgency` as a fake agency, and
``asan demo`` runs it where a tenant's settings point (:mod:`.stand_in`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import TYPE_CHECKING, Any

from asan.plugins import PluginConfig, PluginKind, PluginSpec
from asan_rest_webhook.connector import RestWebhookConnector
from asan_rest_webhook.settings import SETTINGS

if TYPE_CHECKING:
    from asan.testing.connector_contract import ContractHarness


def _build(config: PluginConfig) -> RestWebhookConnector:
    return RestWebhookConnector(config)


def _contract() -> AbstractAsyncContextManager[ContractHarness]:
    # Imported on use: the fake agency is test equipment, not part of a running platform.
    from asan_rest_webhook.contract import contract_harness

    return contract_harness()


def _stand_in(settings: Mapping[str, Any]) -> AbstractContextManager[object]:
    # Imported on use too: only ``asan demo`` runs a stand-in agency.
    from asan_rest_webhook.stand_in import stand_in

    return stand_in(settings)


plugin = PluginSpec(
    name="rest_webhook",
    kind=PluginKind.CONNECTOR,
    summary="Signed JSON over HTTP(S) to an agency's API, with signed status callbacks.",
    factory=_build,
    settings=SETTINGS,
    contract=_contract,
    stand_in=_stand_in,
)

__all__ = ["RestWebhookConnector", "plugin"]
