"""The ``Dockerfile``, read as text: no Docker engine runs here, so these tests check what
can go wrong without one (a path copied that does not exist or that ``.dockerignore``
leaves out, a root user, a fat base image, the package looking for its files in the wrong
place) and run the image's dependency pruning against this environment."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata

import pytest

from tests.support.databases import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass
class Instruction:
    keyword: str
    arguments: str
    heredocs: list[str] = field(default_factory=list)

    def words(self) -> list[str]:
        """The arguments as a list, from the JSON (exec) form or the shell form."""
        text = self.arguments.strip()
        if text.startswith("["):
            words: list[str] = json.loads(text)
            return words
        return shlex.split(text)


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)
    arguments: dict[str, str] = field(default_factory=dict)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def expand(self, text: str) -> str:
        return _VARIABLE.sub(
            lambda m: self.arguments.get(m.group(1) or m.group(2), m.group(0)), text
        )


def _instructions(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and heredoc bodies collected."""
    lines = text.splitlines()
    found: list[Instruction] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.rstrip().endswith("\\") and index < len(lines):
            line = line.rstrip()[:-1] + " " + lines[index].strip()
            index += 1
        keyword, _, arguments = line.strip().partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        for match in _HEREDOC.finditer(arguments):
            body: list[str] = []
            while index < len(lines) and lines[index].strip() != match.group(2):
                body.append(lines[index])
                index += 1
            index += 1  # the terminator
            instruction.heredocs.append("\n".join(body) + "\n")
        found.append(instruction)
    return found


def _argument_default(instruction: Instruction) -> tuple[str, str]:
    name, _, default = instruction.arguments.partition("=")
    return name.strip(), default.strip().strip("\"'")


@cache
def stages() -> tuple[Stage, ...]:
    """The build stages, with global ARG defaults applied to FROM lines."""
    global_arguments: dict[str, str] = {}
    found: list[Stage] = []
    for instruction in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instruction.keyword == "ARG" and not found:
            name, default = _argument_default(instruction)
            global_arguments[name] = default
        elif instruction.keyword == "FROM":
            words = instruction.words()
            image = _VARIABLE.sub(
                lambda m: global_arguments.get(m.group(1) or m.group(2), ""), words[0]
            )
            alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            found.append(Stage(image, alias))
        else:
            stage = found[-1]
            if instruction.keyword == "ARG":
                name, default = _argument_default(instruction)
                stage.arguments[name] = global_arguments.get(name, default) or default
            stage.instructions.append(instruction)
    return tuple(found)


def runtime() -> Stage:
    return stages()[-1]


def _copy_sources(instruction: Instruction) -> list[str]:
    """The sources of a COPY from the build context (none for COPY --from=...)."""
    words = instruction.words()
    flags = [w for w in words if w.startswith("--")]
    if any(flag.startswith("--from") for flag in flags):
        return []
    paths = [w for w in words if not w.startswith("--")]
    return paths[:-1]


def _context_copies() -> list[tuple[Stage, str]]:
    return [
        (stage, source)
        for stage in stages()
        for instruction in stage.all("COPY")
        for source in _copy_sources(instruction)
    ]


def _ignore_patterns() -> list[re.Pattern[str]]:
    """``.dockerignore`` as regular expressions (Go filepath.Match, plus ``**``)."""
    patterns: list[re.Pattern[str]] = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions are not modelled by this test"
        expression = ""
        rest = line.strip("/")
        while rest:
            if rest.startswith("**/"):
                expression += "(?:.*/)?"
                rest = rest[3:]
            elif rest.startswith("**"):
                expression += ".*"
                rest = rest[2:]
            elif rest[0] == "*":
                expression += "[^/]*"
                rest = rest[1:]
            elif rest[0] == "?":
                expression += "[^/]"
                rest = rest[1:]
            elif rest[0] == "[":
                end = rest.index("]")
                expression += rest[: end + 1]
                rest = rest[end + 1 :]
            else:
                expression += re.escape(rest[0])
                rest = rest[1:]
        patterns.append(re.compile(f"^{expression}$"))
    return patterns


def _ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    """Docker leaves out a path when it, or any folder above it, matches a pattern."""
    parts = relative.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(p.match(prefix) for p in patterns for prefix in prefixes)


# Made locally by tools, never part of the image; .dockerignore is meant to drop them.
_LOCAL_ARTEFACTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build"}
_LOCAL_SUFFIXES = {".pyc", ".mo"}


def test_every_path_copied_from_the_context_exists() -> None:
    copies = _context_copies()
    assert copies, "the Dockerfile copies nothing from the build context"
    for stage, source in copies:
        matches = list(REPO_ROOT.glob(stage.expand(source).rstrip("/")))
        assert matches, f"COPY {source}: no such path in the repository"


def test_dockerignore_keeps_every_file_the_image_is_built_from() -> None:
    patterns = _ignore_patterns()
    for stage, source in _context_copies():
        for root in REPO_ROOT.glob(stage.expand(source).rstrip("/")):
            files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
            for path in files:
                relative = path.relative_to(REPO_ROOT)
                if _LOCAL_ARTEFACTS & set(relative.parts) or path.suffix in _LOCAL_SUFFIXES:
                    continue
                if any(part.endswith(".egg-info") for part in relative.parts):
                    continue
                assert not _ignored(relative.as_posix(), patterns), (
                    f"{relative} is copied into the image but .dockerignore leaves it out"
                )


def test_dockerignore_leaves_out_local_state_and_secrets() -> None:
    patterns = _ignore_patterns()
    for relative in (".venv/bin/python", "var/secret_key", "var/asan.db", ".git/config"):
        assert _ignored(relative, patterns), relative
    assert _ignored("i18n/az/LC_MESSAGES/messages.mo", patterns), "the image compiles its own"


def test_base_images_are_slim_python_311() -> None:
    names = {stage.name for stage in stages() if stage.name}
    bases = [stage.image for stage in stages() if stage.image not in names]
    assert len(stages()) >= 2, "a build stage and a runtime stage"
    for image in bases:
        repository, _, tag = image.partition(":")
        assert repository == "python", image
        assert tag.startswith("3.11"), image
        assert "-slim" in tag, image


def test_dependencies_come_from_the_lock_file_checked_against_hashes() -> None:
    build = stages()[0]
    commands = [i.arguments for i in build.all("RUN")]
    assert any("--require-hashes" in c and "-r requirements.lock" in c for c in commands), commands
    platform_install = [c for c in commands if "plugins/*/" in c]
    assert platform_install
    assert "--no-deps" in platform_install[0]


def test_message_catalogues_are_compiled_in_the_build() -> None:
    commands = [i.arguments for stage in stages() for i in stage.all("RUN")]
    assert any("asan i18n compile" in c for c in commands)
    copied = [w for i in runtime().all("COPY") for w in i.words()]
    assert "/src/i18n/" in copied, "the compiled catalogues are copied from the build stage"


def test_runtime_runs_as_a_fixed_non_root_user() -> None:
    users = runtime().all("USER")
    assert users, "the runtime stage sets no USER: it would run as root"
    user = runtime().expand(users[-1].arguments).split(":")[0]
    assert user.isdigit(), f"a numeric UID lets Kubernetes check runAsNonRoot: {user!r}"
    assert user not in ("0", "root")
    created = " ".join(i.arguments for i in runtime().all("RUN"))
    assert f"--uid {user}" in runtime().expand(created)


def test_entry_point_is_asan_serving_on_all_interfaces() -> None:
    (entrypoint,) = runtime().all("ENTRYPOINT")
    assert entrypoint.words() == ["asan"]
    (command,) = runtime().all("CMD")
    words = command.words()
    assert words[0] == "serve"
    assert words[words.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - all interfaces, in a container


def test_health_check_asks_healthz_with_python() -> None:
    (check,) = runtime().all("HEALTHCHECK")
    assert "/healthz" in check.arguments
    assert '"python"' in check.arguments
    assert "curl" not in check.arguments


def _runtime_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for instruction in runtime().all("ENV"):
        for word in shlex.split(instruction.arguments):
            name, _, value = word.partition("=")
            environment[name] = value
    return environment


def test_the_package_finds_its_files_where_the_image_put_them() -> None:
    """Installed (not a checkout), the package cannot find migrations/ or i18n/ by itself."""
    environment = _runtime_environment()
    destinations = {i.words()[-1].rstrip("/") for i in runtime().all("COPY") if len(i.words()) >= 2}
    for variable in ("ASAN_MIGRATIONS_DIR", "ASAN_I18N_DIR", "ASAN_TENANTS_DIR"):
        assert environment.get(variable) in destinations, variable


def test_the_image_does_not_decide_production() -> None:
    """``ASAN_ENV=production`` is the deployment's choice (the chart sets it)."""
    assert "ASAN_ENV" not in _runtime_environment()


def test_dependency_pruning_keeps_the_runtime_and_drops_the_tools() -> None:
    """Run the image's pruning script here: what it would uninstall from this environment."""
    scripts = [doc for i in stages()[0].all("RUN") for doc in i.heredocs]
    (script,) = [s for s in scripts if "importlib.metadata" in s]
    result = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, check=True
    )
    dropped = set(result.stdout.split())
    for tool in ("pytest", "mypy", "ruff", "helm-python-sdk", "kubernetes-validate"):
        assert tool in dropped, tool
    # What the installed distributions declare (the image installs them fresh from
    # pyproject.toml), and the distributions themselves.
    declared = {
        re.sub(r"[-_.]+", "-", re.split(r"[\s;<>=!~\[(]", text, maxsplit=1)[0]).lower()
        for name in ("asan-platform", "asan-xroad", "asan-rest-webhook", "asan-smtp-notifier")
        for text in metadata.requires(name) or []
        if "extra ==" not in text
    }
    assert {"litestar", "uvicorn", "sqlalchemy", "alembic", "asyncpg", "httpx"} <= declared
    for needed in declared | {"asan-platform", "asan-xroad", "uvloop", "babel", "pip"}:
        assert needed not in dropped, needed


@pytest.mark.parametrize("keyword", ["FROM", "COPY", "RUN", "USER", "ENTRYPOINT"])
def test_the_parser_sees_the_instructions_it_checks(keyword: str) -> None:
    """Guards the tests above against a parser that silently finds nothing."""
    assert any(i.keyword == keyword for s in stages() for i in s.instructions) or (
        keyword == "FROM" and stages()
    )
