"""X-Road identifiers: the client subsystem we speak for and the provider subsystem we call.

An identifier is ``INSTANCE/CLASS/MEMBER/SUBSYSTEM``. The protocol allows a
member without a subsystem, but services are only ever offered by subsystems
and a platform calls as one of its own, so both sides here must name four
parts. Each part is checked against X-Road's identifier character rules at
build time: a typo found then is a configuration error a person fixes once,
while the same typo found by the security server would be a final error on
every application of the agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

_FORBIDDEN = re.compile(r"[:;/\\%\s\x00-\x1f\x7f]")
"""X-Road refuses colons, semicolons, slashes, backslashes, percent signs and control
characters in identifier parts; whitespace is refused too, as it is always a typo here."""

METASERVICE_CODES = frozenset(
    {"listClients", "listCentralServices", "listMethods", "allowedMethods", "getOpenAPI", "getWsdl"}
)
"""Service codes reserved by X-Road for its own metaservices."""


@dataclass(frozen=True, slots=True)
class SubsystemId:
    instance: str
    member_class: str
    member_code: str
    subsystem_code: str

    @classmethod
    def parse(cls, value: object, *, setting: str) -> SubsystemId:
        """The identifier in ``value``, or a ValueError naming ``setting`` and what is wrong."""
        shape = "INSTANCE/CLASS/MEMBER/SUBSYSTEM"
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{setting}: required, an X-Road subsystem identifier {shape}")
        parts = value.strip().split("/")
        if len(parts) != 4:
            raise ValueError(
                f"{setting}: {value!r} has {len(parts)} part(s); an X-Road subsystem identifier "
                f"has four: {shape}"
            )
        names = ("instance", "member class", "member code", "subsystem code")
        for name, part in zip(names, parts, strict=True):
            check_part(part, what=f"{setting}: the {name} of {value!r}")
        return cls(*parts)

    @property
    def parts(self) -> tuple[str, str, str, str]:
        return (self.instance, self.member_class, self.member_code, self.subsystem_code)

    def encoded(self) -> str:
        """The form for a URL path or an ``X-Road-Client`` header: each part percent-encoded
        separately (UTF-8), the slashes between them left as they are."""
        return "/".join(quote(part, safe="") for part in self.parts)

    @classmethod
    def from_encoded(cls, text: str) -> SubsystemId | None:
        """The identifier an ``X-Road-Client`` header names, or None when it has not four parts."""
        parts = [unquote(part) for part in text.strip().split("/")]
        if len(parts) != 4 or not all(parts):
            return None
        return cls(*parts)

    def __str__(self) -> str:
        return "/".join(self.parts)


def check_part(part: str, *, what: str) -> None:
    if not part:
        raise ValueError(f"{what} is empty")
    if _FORBIDDEN.search(part):
        raise ValueError(
            f"{what} contains a character X-Road refuses in identifiers "
            "(colon, semicolon, slash, backslash, percent, whitespace or a control character)"
        )


def check_service_code(value: object, *, setting: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{setting}: must be text")
    check_part(value, what=f"{setting}: {value!r}")
    if value in METASERVICE_CODES:
        raise ValueError(f"{setting}: {value!r} is reserved for an X-Road metaservice")
    return value
