"""The catalogue file format: canonical when valid, every problem when not."""

from __future__ import annotations

import pytest
import yaml

from asan.catalogue.bundle import (
    CatalogueError,
    TenantLanguages,
    dump_catalogue,
    missing_texts,
    read_catalogue,
)
from tests.catalogue.support import AGENCY, CATEGORY, LANGUAGES, service_entry
from tests.support.databases import REPO_ROOT


def as_yaml(**parts: object) -> str:
    return yaml.safe_dump(
        {"agencies": [AGENCY], "categories": [CATEGORY], "services": [service_entry()], **parts},
        allow_unicode=True,
    )


def problems(error: pytest.ExceptionInfo[CatalogueError]) -> set[tuple[str, str]]:
    return {(p.path, p.reason) for p in error.value.problems}


@pytest.mark.parametrize(
    ("code", "languages", "at_least"),
    [
        ("az", TenantLanguages(("az", "en", "ru"), "AZN"), 60),
        ("ma", TenantLanguages(("ar", "fr"), "MAD"), 20),
        ("ee", TenantLanguages(("et", "en"), "EUR"), 20),
    ],
)
def test_the_demo_catalogues_are_valid_and_large_enough(
    code: str, languages: TenantLanguages, at_least: int
) -> None:
    path = REPO_ROOT / "tenants" / code / "catalogue.yaml"
    catalogue = read_catalogue(
        path.read_text(encoding="utf-8"), source=str(path), languages=languages
    )
    assert len(catalogue.services) >= at_least
    assert len(catalogue.agencies) >= (10 if code == "az" else 5)
    assert {a["kind"] for a in catalogue.agencies} == {"public", "private"}
    for service in catalogue.services:
        assert missing_texts(service, languages.locales) == [], service["code"]


def test_a_valid_file_comes_back_canonical() -> None:
    catalogue = read_catalogue(as_yaml(), source="f.yaml", languages=LANGUAGES)
    (service,) = catalogue.services
    assert list(service) == [
        "code",
        "status",
        "category",
        "agency",
        "name",
        "description",
        "eligibility",
        "required_documents",
        "fee",
        "processing_time",
        "channels",
        "form",
    ]
    again = read_catalogue(dump_catalogue(catalogue), source="f.yaml", languages=LANGUAGES)
    assert dump_catalogue(again) == dump_catalogue(catalogue)


def test_wrong_type_unknown_locale_duplicate_and_foreign_currency_are_all_reported() -> None:
    bad = service_entry(
        fee={"amount": 2.5, "currency": "USD"},
        name={"en": "Birth certificate", "fr": "Acte", "de": "Geburtsurkunde"},
        processing_time={"value": "three", "unit": "fortnights"},
        channels=["service_centre", "teleport"],
    )
    text = as_yaml(services=[bad, service_entry()])
    with pytest.raises(CatalogueError) as error:
        read_catalogue(text, source="f.yaml", languages=LANGUAGES)
    paths = {path for path, _ in problems(error)}
    assert {
        "services[birth-certificate].fee.amount",
        "services[birth-certificate].fee.currency",
        "services[birth-certificate].name.de",
        "services[birth-certificate].processing_time.value",
        "services[birth-certificate].processing_time.unit",
        "services[birth-certificate].channels",
        "services[birth-certificate].code",
    } <= paths
    assert all(p.file == "f.yaml" for p in error.value.problems)
    assert "fees are in the tenant's currency, EUR" in str(error.value.detail)


def test_missing_translations_block_a_published_entry_but_not_a_draft() -> None:
    incomplete = service_entry(name={"en": "Birth certificate"})
    with pytest.raises(CatalogueError) as error:
        read_catalogue(as_yaml(services=[incomplete]), source="f.yaml", languages=LANGUAGES)
    assert ("services[birth-certificate].name.fr", "missing") in problems(error)
    draft = service_entry(name={"en": "Birth certificate"}, status="draft")
    read_catalogue(as_yaml(services=[draft]), source="f.yaml", languages=LANGUAGES)


def test_references_must_exist_in_the_file_or_the_tenant() -> None:
    text = yaml.safe_dump({"services": [service_entry()]})
    with pytest.raises(CatalogueError) as error:
        read_catalogue(text, source="f.yaml", languages=LANGUAGES)
    assert {path for path, _ in problems(error)} == {
        "services[birth-certificate].agency",
        "services[birth-certificate].category",
    }
    read_catalogue(
        text,
        source="f.yaml",
        languages=LANGUAGES,
        known_agencies={"civil-registry"},
        known_categories={"birth"},
    )


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(CatalogueError, match=r"f\.yaml: line 3, column 1: not valid YAML"):
        read_catalogue("services:\n  - code: [unclosed\n", source="f.yaml", languages=LANGUAGES)


def test_an_online_service_needs_a_form() -> None:
    with pytest.raises(CatalogueError) as error:
        read_catalogue(
            as_yaml(services=[service_entry(form=[])]), source="f.yaml", languages=LANGUAGES
        )
    assert (
        "services[birth-certificate].form",
        "required: the service is offered online",
    ) in problems(error)
