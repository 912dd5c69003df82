"""Bundle files: every problem reported with file and key, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from asan.tenancy import BundleError, read_bundle, read_bundles
from asan.tenancy.bundle import bundle_directories
from tests.support.databases import REPO_ROOT

VALID = """
code = "{code}"
locales = ["ar", "fr"]
timezone = "Africa/Casablanca"
currency = "MAD"
hostnames = {hostnames}

[name]
ar = "المملكة المغربية"
fr = "Royaume du Maroc"
"""


def write_bundle(root: Path, code: str, text: str | None = None, hostnames: str = "[]") -> Path:
    directory = root / code
    directory.mkdir(parents=True)
    (directory / "tenant.toml").write_text(text or VALID.format(code=code, hostnames=hostnames))
    return directory


def problems_of(error: pytest.ExceptionInfo[BundleError]) -> set[tuple[str, str]]:
    return {(Path(p.file).parent.name, p.key) for p in error.value.problems}


def test_the_demo_bundles_are_valid_and_real() -> None:
    bundles = {b.code: b for b in read_bundles(bundle_directories(REPO_ROOT / "tenants"))}
    assert {"az", "ma", "ee"} <= set(bundles)
    assert (bundles["az"].locales, bundles["az"].currency, bundles["az"].timezone) == (
        ("az", "en", "ru"),
        "AZN",
        "Asia/Baku",
    )
    assert (bundles["ma"].default_locale, bundles["ma"].currency, bundles["ma"].timezone) == (
        "ar",
        "MAD",
        "Africa/Casablanca",
    )
    assert (bundles["ee"].locales, bundles["ee"].currency, bundles["ee"].timezone) == (
        ("et", "en"),
        "EUR",
        "Europe/Tallinn",
    )
    assert bundles["ma"].names["ar"] == "المملكة المغربية"


def test_a_valid_bundle_reads(tmp_path: Path) -> None:
    bundle = read_bundle(write_bundle(tmp_path, "ma"))
    assert bundle.default_locale == "ar"
    assert bundle.names["fr"] == "Royaume du Maroc"


def test_every_problem_is_reported_with_its_key(tmp_path: Path) -> None:
    text = """
code = "xx"
locales = ["ar", "zz_QQ", "ar"]
timezone = "Africa/Casablanka"
currency = "DIRHAM"
hostnames = ["Not A Host"]
colour = "green"

[name]
ar = ""
de = "Marokko"
"""
    with pytest.raises(BundleError) as error:
        read_bundle(write_bundle(tmp_path, "ma", text))
    assert problems_of(error) == {
        ("ma", "code"),
        ("ma", "locales[1]"),
        ("ma", "locales"),
        ("ma", "timezone"),
        ("ma", "currency"),
        ("ma", "hostnames[0]"),
        ("ma", "colour"),
        ("ma", "name.ar"),
        ("ma", "name.de"),
    }
    assert all(str(tmp_path / "ma" / "tenant.toml") in str(p) for p in error.value.problems)


def test_broken_toml_names_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"tenant.toml: not valid TOML: .*line 2"):
        read_bundle(write_bundle(tmp_path, "ma", 'code = "ma"\nlocales = ["ar" "fr"]\n'))


def test_bundles_are_checked_against_each_other(tmp_path: Path) -> None:
    first = write_bundle(tmp_path / "a", "ma", hostnames='["services.example.ma"]')
    second = write_bundle(
        tmp_path / "b", "mb", text=VALID.format(code="mb", hostnames='["services.example.ma"]')
    )
    with pytest.raises(BundleError) as error:
        read_bundles([first, second])
    assert problems_of(error) == {("mb", "hostnames")}


def test_a_folder_without_bundles_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"no tenant\.toml"):
        bundle_directories(tmp_path)


def test_digest_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    plain = read_bundle(write_bundle(tmp_path / "a", "ma"))
    reformatted = read_bundle(
        write_bundle(tmp_path / "b", "ma", "# comment\n" + VALID.format(code="ma", hostnames="[ ]"))
    )
    changed = read_bundle(
        write_bundle(
            tmp_path / "c", "ma", VALID.format(code="ma", hostnames="[]").replace("MAD", "EUR")
        )
    )
    assert plain.digest() == reformatted.digest()
    assert plain.digest() != changed.digest()
