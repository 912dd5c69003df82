"""Test kits shipped with the platform, for plugin authors as much as for us.

``asan.testing.connector_contract`` is the contract every agency connector
must pass; the platform's own suite runs it over every installed connector.
``asan.testing.stand_ins`` holds the rules a connector's demo stand-in shares
(loopback addresses only, when a simulated agency moves an application on).
"""
