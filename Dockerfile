# syntax=docker/dockerfile:1
# ASAN Platform image: `asan serve` by default; the same image runs `asan worker`,
# `asan db upgrade` and `asan tenant load` (the Helm chart in helm/asan does).
#
#   docker build -t asan-platform .
#   docker run --rm -p 8000:8000 asan-platform                      # dev: SQLite under /app/var
#   docker run --rm asan-platform tenant load /app/tenants          # any asan command
#
# Both stages start from the same image, so the virtual environment built in the first
# runs unchanged in the second (its interpreter is a symlink to the base's python3.11).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/asan

# The locked dependencies first, checked against their hashes: this layer is reused until
# the lock file changes.
COPY requirements.lock ./
RUN /opt/asan/bin/pip install --require-hashes -r requirements.lock

# The platform and its first-party plugins, without dependencies (all came from the lock).
COPY pyproject.toml README.md ./
COPY platform/ platform/
COPY admin_console/ admin_console/
COPY plugins/ plugins/
RUN /opt/asan/bin/pip install --no-deps . plugins/*/

# The lock also holds the development tools (pytest, mypy, ruff, helm-python-sdk,
# kubernetes-validate: hundreds of megabytes). Keep what the platform and its plugins
# need at run time, found from their declared requirements, and uninstall the rest.
RUN /opt/asan/bin/python - > /tmp/dev-only.txt <<'EOF'
import re
from importlib.metadata import distributions

from packaging.requirements import Requirement


def key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


installed = {key(d.metadata["Name"]): d for d in distributions()}
roots = ["asan-platform"] + [
    name for name, d in installed.items() if any(e.group == "asan.plugins" for e in d.entry_points)
]
wanted = [(name, frozenset[str]()) for name in roots]
seen: set[tuple[str, frozenset[str]]] = set()
while wanted:
    name, extras = wanted.pop()
    if (name, extras) in seen:
        continue
    seen.add((name, extras))
    for text in installed[name].requires or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
            wanted.append((key(requirement.name), frozenset(requirement.extras)))
runtime = {name for name, _ in seen} | {"pip"}
print("\n".join(sorted(set(installed) - runtime)))
EOF
# Then fail the build, not the first pod, if the platform or a plugin imports a package
# it does not declare.
RUN xargs --no-run-if-empty /opt/asan/bin/pip uninstall --yes < /tmp/dev-only.txt \
    && /opt/asan/bin/python -c "import asan.api.app, asan.cli, admin_console; \
from importlib.metadata import entry_points; \
[plugin.load() for plugin in entry_points(group='asan.plugins')]"

# The UI message catalogues: the .mo files are built here, never committed.
COPY i18n/ i18n/
RUN ASAN_I18N_DIR=/src/i18n /opt/asan/bin/asan i18n compile


FROM ${PYTHON_IMAGE} AS runtime
ARG ASAN_UID=10001
# The package is installed, not a checkout: tell it where its files are. ASAN_TENANTS_DIR
# is the demo bundles' default; the chart points it at the mounted ConfigMap.
ENV PATH=/opt/asan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ASAN_MIGRATIONS_DIR=/app/migrations \
    ASAN_I18N_DIR=/app/i18n \
    ASAN_TENANTS_DIR=/app/tenants \
    ASAN_VAR_DIR=/app/var
RUN groupadd --system --gid ${ASAN_UID} asan \
    && useradd --system --uid ${ASAN_UID} --gid asan --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin asan
WORKDIR /app
COPY --from=build /opt/asan /opt/asan
COPY --from=build /src/i18n/ /app/i18n/
COPY migrations/ /app/migrations/
COPY tenants/ /app/tenants/
# var/ is the only place the image itself writes to (dev: SQLite, generated secret key);
# under Kubernetes the root filesystem is read-only and ASAN_VAR_DIR is on an emptyDir.
RUN mkdir -p /app/var && chown ${ASAN_UID}:${ASAN_UID} /app/var
USER ${ASAN_UID}:${ASAN_UID}
EXPOSE 8000
# slim has no curl. Only meaningful for `asan serve` on port 8000: for a worker
# container, run with --no-healthcheck (Kubernetes ignores HEALTHCHECK and uses the
# chart's probes).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["asan"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
