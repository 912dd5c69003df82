"""The Helm chart (``helm/asan``), rendered offline by a real Helm engine.

The engine is the Helm library bundled by ``helm-python-sdk``, or the ``helm`` binary
when that package is missing. Every rendered object is validated against the newest
Kubernetes schema ``kubernetes-validate`` ships, in strict mode (unknown fields fail);
the Prometheus Operator's ServiceMonitor is a CRD it does not know, so it is only
asserted on. Each set of values is rendered once per module.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes_validate
import pytest
import yaml

import asan
from tests.support.databases import REPO_ROOT

CHART = REPO_ROOT / "helm" / "asan"
GOVERNMENT_VALUES = REPO_ROOT / "helm" / "examples" / "government-values.yaml"
RELEASE = "asan"
NAMESPACE = "asan"
BASE_DOMAIN = "asan.example.gov"
DEMO_TENANTS = ("az", "ma", "ee")
BUNDLE_FILES = ("tenant.toml", "catalogue.yaml", "policy.csv")
KUBERNETES_VERSION = kubernetes_validate.latest_version()
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
SECRET_LIKE = re.compile(r"(SECRET|PASSWORD|TOKEN|_URL|_KEY)$")
"""Names of variables that carry a secret (ASAN_SECRET_KEY, ASAN_DATABASE_URL...)."""
WRITABLE = "/tmp"  # noqa: S108 - the mount point checked, not a file made here

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Manifest = dict[str, Any]
Values = dict[str, Any]


class ChartRejected(Exception):
    """Helm refused the values (schema) or a template stopped the render (``fail``)."""


def _objects(documents: Iterator[str]) -> list[Manifest]:
    found: list[Manifest] = []
    for text in documents:
        found.extend(d for d in yaml.load_all(text, Loader=_LOADER) if d)
    return found


def _sdk_renderer() -> Callable[[Values], list[Manifest]] | None:
    try:
        import helm_python
    except ImportError:
        return None
    chart = helm_python.Chart.load(CHART)

    def render(values: Values) -> list[Manifest]:
        try:
            rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        except (helm_python.HelmValuesError, helm_python.HelmRenderError) as exc:
            raise ChartRejected(str(exc)) from exc
        return _objects(text for path, text in rendered.items() if path.endswith(".yaml"))

    return render


def _binary_renderer() -> Callable[[Values], list[Manifest]] | None:
    helm = shutil.which("helm")
    if helm is None:
        return None

    def render(values: Values) -> list[Manifest]:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
            json.dump(values, handle)
            handle.flush()
            result = subprocess.run(
                [helm, "template", RELEASE, str(CHART), "-n", NAMESPACE, "-f", handle.name],
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            raise ChartRejected(result.stderr)
        return _objects(iter([result.stdout]))

    return render


@pytest.fixture(scope="module")
def render() -> Callable[[Values], list[Manifest]]:
    renderer = _sdk_renderer() or _binary_renderer()
    if renderer is None:
        pytest.skip("neither helm-python-sdk nor the helm binary is available")
    return renderer


SCALED: Values = {
    "redis": {"enabled": True},
    "web": {"replicas": 2},
    "worker": {"replicas": 2},
    "serviceMonitor": {"enabled": True},
}
AUTOSCALED: Values = {"redis": {"enabled": True}, "autoscaling": {"enabled": True}}


@pytest.fixture(scope="module")
def default_objects(render: Callable[[Values], list[Manifest]]) -> list[Manifest]:
    return render({})


@pytest.fixture(scope="module")
def scaled_objects(render: Callable[[Values], list[Manifest]]) -> list[Manifest]:
    return render(SCALED)


@pytest.fixture(scope="module")
def autoscaled_objects(render: Callable[[Values], list[Manifest]]) -> list[Manifest]:
    return render(AUTOSCALED)


@pytest.fixture(scope="module")
def government_objects(render: Callable[[Values], list[Manifest]]) -> list[Manifest]:
    return render(yaml.safe_load(GOVERNMENT_VALUES.read_text(encoding="utf-8")))


def _all(objects: list[Manifest], kind: str) -> list[Manifest]:
    return [o for o in objects if o["kind"] == kind]


def _one(objects: list[Manifest], kind: str, name: str) -> Manifest:
    (found,) = [o for o in _all(objects, kind) if o["metadata"]["name"] == name]
    return found


def _pod_templates(objects: list[Manifest]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"])
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    ]


def _container(objects: list[Manifest], kind: str, name: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = _one(objects, kind, name)["spec"]["template"]["spec"][
        "containers"
    ]
    (container,) = containers
    return container


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def _expected_hosts(tenant_hosts: dict[str, list[str]], base: str) -> list[str]:
    hosts = [base]
    for code, own in tenant_hosts.items():
        hosts += [f"{code}.{base}", *own]
    return hosts


def _demo_hostnames() -> dict[str, list[str]]:
    hostnames: dict[str, list[str]] = {}
    for code in DEMO_TENANTS:
        bundle = tomllib.loads((REPO_ROOT / "tenants" / code / "tenant.toml").read_text())
        hostnames[code] = list(bundle.get("hostnames", []))
    return hostnames


# Rendering and validation


def test_default_values_render_a_complete_install(default_objects: list[Manifest]) -> None:
    names = {(o["kind"], o["metadata"]["name"]) for o in default_objects}
    assert names == {
        ("ConfigMap", "asan-tenant-bundles"),
        ("Deployment", "asan-web"),
        ("Deployment", "asan-worker"),
        ("Service", "asan-web"),
        ("Ingress", "asan"),
        ("Job", "asan-migrate"),
        ("Job", "asan-load-tenants"),
        ("NetworkPolicy", "asan"),
        ("NetworkPolicy", "asan-web"),
    }


def _validate(objects: list[Manifest]) -> None:
    for manifest in objects:
        if (manifest["apiVersion"], manifest["kind"]) in CRD_KINDS:
            continue
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_default_objects_are_valid_kubernetes(default_objects: list[Manifest]) -> None:
    _validate(default_objects)


def test_scaled_objects_are_valid_kubernetes(scaled_objects: list[Manifest]) -> None:
    _validate(scaled_objects)


def test_autoscaled_objects_are_valid_kubernetes(autoscaled_objects: list[Manifest]) -> None:
    _validate(autoscaled_objects)


def test_government_example_is_valid_kubernetes(government_objects: list[Manifest]) -> None:
    kinds = {o["kind"] for o in government_objects}
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"} <= kinds
    _validate(government_objects)


def test_the_validator_refuses_an_unknown_field(default_objects: list[Manifest]) -> None:
    """Strict validation is what makes the tests above mean something."""
    broken = copy.deepcopy(_one(default_objects, "Deployment", "asan-web"))
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_chart_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["apiVersion"] == "v2"
    assert chart["appVersion"] == asan.__version__


def test_image_defaults_to_the_app_version(default_objects: list[Manifest]) -> None:
    image = _container(default_objects, "Deployment", "asan-web")["image"]
    assert image.endswith(f":{asan.__version__}")


def test_a_digest_pins_the_image(government_objects: list[Manifest]) -> None:
    for _, template in _pod_templates(government_objects):
        for container in template["spec"]["containers"]:
            assert container["image"] == f"registry.gov.mn/asan/platform@sha256:{'0' * 64}"


# Hooks


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(
    default_objects: list[Manifest],
) -> None:
    job = _one(default_objects, "Job", "asan-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(annotations["helm.sh/hook-weight"]) < 0
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    container = _container(default_objects, "Job", "asan-migrate")
    assert [*container["command"], *container["args"]] == ["asan", "db", "upgrade"]
    owner = _env(container)["ASAN_MIGRATION_DATABASE_URL"]
    assert owner["valueFrom"]["secretKeyRef"] == {"name": "asan-database", "key": "owner-url"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_migration_job_uses_nothing_the_release_creates(default_objects: list[Manifest]) -> None:
    """A pre-install hook runs before the release's ConfigMaps and ServiceAccounts exist."""
    pod = _one(default_objects, "Job", "asan-migrate")["spec"]["template"]["spec"]
    assert "serviceAccountName" not in pod
    for volume in pod["volumes"]:
        assert set(volume) <= {"name", "emptyDir", "secret"}, volume
    created = {o["metadata"]["name"] for o in default_objects if o["kind"] == "ConfigMap"}
    text = json.dumps(pod)
    assert not any(name in text for name in created)


def test_only_the_migration_job_gets_the_owner_url(default_objects: list[Manifest]) -> None:
    for where, template in _pod_templates(default_objects):
        for container in template["spec"]["containers"]:
            has_owner = "ASAN_MIGRATION_DATABASE_URL" in _env(container)
            assert has_owner == (where == "Job/asan-migrate"), where


def test_tenant_bundles_are_loaded_after_install_and_upgrade(
    default_objects: list[Manifest],
) -> None:
    job = _one(default_objects, "Job", "asan-load-tenants")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "post-install,post-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    container = _container(default_objects, "Job", "asan-load-tenants")
    directory = _env(container)["ASAN_TENANTS_DIR"]["value"]
    assert [*container["command"], *container["args"]] == ["asan", "tenant", "load", directory]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts[directory] == "tenant-bundles"


def test_lint_finds_nothing_to_fix() -> None:
    """``helm lint --strict``: only the advice to add an icon (informational) is allowed."""
    helm_python = pytest.importorskip("helm_python")
    report = helm_python.lint(CHART, strict=True, kube_version=f"v{KUBERNETES_VERSION}")
    assert report["errors"] == []
    problems = [m for m in report["messages"] if m["severity"] > 1]
    assert problems == []


# Tenants, bundles and the Ingress


def test_ingress_has_one_host_and_one_tls_entry_per_host(default_objects: list[Manifest]) -> None:
    (ingress,) = _all(default_objects, "Ingress")
    expected = _expected_hosts(_demo_hostnames(), BASE_DOMAIN)
    assert "asan.gov.az" in expected
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == expected
    tls = ingress["spec"]["tls"]
    assert [entry["hosts"] for entry in tls] == [[host] for host in expected]
    assert [entry["secretName"] for entry in tls] == [
        host.replace(".", "-") + "-tls" for host in expected
    ]
    service = _one(default_objects, "Service", "asan-web")
    port_names = {port["name"] for port in service["spec"]["ports"]}
    for rule in ingress["spec"]["rules"]:
        (path,) = rule["http"]["paths"]
        assert path["backend"]["service"]["name"] == "asan-web"
        assert path["backend"]["service"]["port"]["name"] in port_names


def test_a_tls_secret_may_be_named_per_host(government_objects: list[Manifest]) -> None:
    (ingress,) = _all(government_objects, "Ingress")
    secrets = {entry["hosts"][0]: entry["secretName"] for entry in ingress["spec"]["tls"]}
    assert secrets == {
        "asan.gov.mn": "asan-gov-mn-tls",
        "mn.asan.gov.mn": "mn-asan-gov-mn-tls",
        "e-mongolia.mn": "e-mongolia-wildcard-tls",
    }


def test_demo_tenant_hostnames_match_their_bundles() -> None:
    """The Ingress comes from values, the application's hosts from tenant.toml."""
    with (CHART / "values.yaml").open(encoding="utf-8") as handle:
        tenants = yaml.safe_load(handle)["tenants"]
    assert {t["code"]: t.get("hostnames", []) for t in tenants} == _demo_hostnames()


def test_chart_bundles_are_the_repository_bundles() -> None:
    """helm/asan/files/tenants/ is a copy (a chart cannot read outside its folder).

    After changing a demo bundle: cp tenants/<code>/* helm/asan/files/tenants/<code>/
    """
    for code in DEMO_TENANTS:
        chart_files = sorted(p.name for p in (CHART / "files" / "tenants" / code).iterdir())
        repository_files = sorted(p.name for p in (REPO_ROOT / "tenants" / code).iterdir())
        assert chart_files == repository_files, code
        for name in repository_files:
            chart_copy = (CHART / "files" / "tenants" / code / name).read_bytes()
            assert chart_copy == (REPO_ROOT / "tenants" / code / name).read_bytes(), (
                f"helm/asan/files/tenants/{code}/{name} differs from tenants/{code}/{name}"
            )


def test_bundles_config_map_holds_each_file_unchanged(default_objects: list[Manifest]) -> None:
    data = _one(default_objects, "ConfigMap", "asan-tenant-bundles")["data"]
    assert set(data) == {f"{code}.{name}" for code in DEMO_TENANTS for name in BUNDLE_FILES}
    for code in DEMO_TENANTS:
        for name in BUNDLE_FILES:
            expected = (REPO_ROOT / "tenants" / code / name).read_text(encoding="utf-8")
            assert data[f"{code}.{name}"] == expected, f"{code}.{name}"


def test_bundle_volume_lays_out_one_folder_per_tenant(default_objects: list[Manifest]) -> None:
    data = _one(default_objects, "ConfigMap", "asan-tenant-bundles")["data"]
    for where, template in _pod_templates(default_objects):
        if where == "Job/asan-migrate":
            continue
        (volume,) = [v for v in template["spec"]["volumes"] if v["name"] == "tenant-bundles"]
        items = volume["configMap"]["items"]
        assert {item["key"] for item in items} == set(data), where
        for item in items:
            code, _, name = item["key"].partition(".")
            assert item["path"] == f"{code}/{name}"


def test_pods_roll_when_a_bundle_changes(
    default_objects: list[Manifest], render: Callable[[Values], list[Manifest]]
) -> None:
    def checksums(objects: list[Manifest]) -> set[str]:
        return {
            _one(objects, "Deployment", name)["spec"]["template"]["metadata"]["annotations"][
                "checksum/tenant-bundles"
            ]
            for name in ("asan-web", "asan-worker")
        }

    before = checksums(default_objects)
    assert len(before) == 1
    after = checksums(render({"tenants": [{"code": "az", "hostnames": ["asan.gov.az"]}]}))
    assert len(after) == 1
    assert after != before


def test_a_platform_without_tenants_serves_its_base_domain_only(
    render: Callable[[Values], list[Manifest]],
) -> None:
    objects = render({"tenants": []})
    assert not [o for o in _all(objects, "Job") if o["metadata"]["name"] == "asan-load-tenants"]
    (ingress,) = _all(objects, "Ingress")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [BASE_DOMAIN]
    _validate(objects)


def test_an_existing_config_map_replaces_the_chart_bundles(
    government_objects: list[Manifest],
) -> None:
    assert not _all(government_objects, "ConfigMap")
    for where, template in _pod_templates(government_objects):
        volumes = [v for v in template["spec"]["volumes"] if v["name"] == "tenant-bundles"]
        if where == "Job/asan-migrate":
            assert not volumes
            continue
        (volume,) = volumes
        assert volume["configMap"]["name"] == "asan-mn-bundle"
        assert volume["configMap"]["optional"] is True
        assert [item["path"] for item in volume["configMap"]["items"]] == [
            f"mn/{name}" for name in BUNDLE_FILES
        ]


# Secrets


def test_no_secret_is_written_into_the_manifests(
    default_objects: list[Manifest], government_objects: list[Manifest]
) -> None:
    for objects in (default_objects, government_objects):
        assert not _all(objects, "Secret")
        for where, template in _pod_templates(objects):
            for container in template["spec"]["containers"]:
                for name, entry in _env(container).items():
                    value = str(entry.get("value", ""))
                    assert not re.search(r"://[^/@\s]+@", value), (where, name)
                    if SECRET_LIKE.search(name):
                        assert "value" not in entry, (where, name)
                        assert set(entry["valueFrom"]) == {"secretKeyRef"}, (where, name)


def test_secrets_come_from_the_existing_secrets(scaled_objects: list[Manifest]) -> None:
    env = _env(_container(scaled_objects, "Deployment", "asan-web"))
    references = {
        name: entry["valueFrom"]["secretKeyRef"]
        for name, entry in env.items()
        if "valueFrom" in entry
    }
    assert references == {
        "ASAN_DATABASE_URL": {"name": "asan-database", "key": "runtime-url"},
        "ASAN_SECRET_KEY": {"name": "asan-secret-key", "key": "secret-key"},
        "ASAN_REDIS_URL": {"name": "asan-redis", "key": "url"},
    }


def test_plugin_secrets_are_mounted_under_the_secrets_dir(
    government_objects: list[Manifest],
) -> None:
    for name in ("asan-web", "asan-worker"):
        deployment = _one(government_objects, "Deployment", name)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        secrets_dir = _env(container)["ASAN_SECRETS_DIR"]["value"]
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        mounted = {
            volumes[m["name"]]["secret"]["secretName"]: m
            for m in container["volumeMounts"]
            if "secret" in volumes[m["name"]]
        }
        assert set(mounted) == {"mn-xroad-client", "mn-smtp"}
        for secret, mount in mounted.items():
            # Below the tenant's own folder: its settings reach only its Secrets.
            assert mount["mountPath"] == f"{secrets_dir}/mn/{secret}"
            assert mount["readOnly"] is True


# Pods


def test_web_serves_in_production_with_probes(default_objects: list[Manifest]) -> None:
    container = _container(default_objects, "Deployment", "asan-web")
    words = [*container["command"], *container["args"]]
    assert words[:2] == ["asan", "serve"]
    assert words[words.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - a pod listens so
    assert words[words.index("--workers") + 1] == "1"
    env = _env(container)
    assert env["ASAN_ENV"]["value"] == "production"
    assert env["ASAN_BASE_DOMAIN"]["value"] == BASE_DOMAIN
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts[env["ASAN_TENANTS_DIR"]["value"]] == "tenant-bundles"
    probes = {
        kind: (container[kind]["httpGet"]["path"], container[kind]["httpGet"]["port"])
        for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert probes == {
        "startupProbe": ("/readyz", "http"),
        "readinessProbe": ("/readyz", "http"),
        "livenessProbe": ("/healthz", "http"),
    }
    assert "httpHeaders" not in container["livenessProbe"]["httpGet"], "probes come by IP"


def test_worker_runs_asan_worker_behind_no_service(default_objects: list[Manifest]) -> None:
    worker = _one(default_objects, "Deployment", "asan-worker")
    container = _container(default_objects, "Deployment", "asan-worker")
    assert [*container["command"], *container["args"]][:2] == ["asan", "worker"]
    lease = float(container["args"][container["args"].index("--lease") + 1])
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > lease
    labels = worker["spec"]["template"]["metadata"]["labels"]
    for service in _all(default_objects, "Service"):
        selector = service["spec"]["selector"]
        assert not selector.items() <= labels.items(), service["metadata"]["name"]


def test_every_pod_is_restricted(
    default_objects: list[Manifest], government_objects: list[Manifest]
) -> None:
    """The Pod Security Standards' restricted profile, and a read-only root filesystem."""
    for objects in (default_objects, government_objects):
        for where, template in _pod_templates(objects):
            pod = template["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
            assert pod["automountServiceAccountToken"] is False, where
            volumes = {v["name"]: v for v in pod["volumes"]}
            for volume in volumes.values():
                assert set(volume) - {"name"} <= {"emptyDir", "configMap", "secret"}, where
            for container in pod["containers"]:
                context = container["securityContext"]
                assert context["runAsNonRoot"] is True, where
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                assert "add" not in context["capabilities"], where
                assert context["seccompProfile"]["type"] == "RuntimeDefault", where
                (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == WRITABLE]
                assert "emptyDir" in volumes[tmp["name"]], where
                assert container["resources"]["requests"], where


# Scaling


def test_one_replica_has_no_disruption_budget(default_objects: list[Manifest]) -> None:
    assert not _all(default_objects, "PodDisruptionBudget")
    assert not _all(default_objects, "HorizontalPodAutoscaler")


def test_two_replicas_get_a_disruption_budget_each(scaled_objects: list[Manifest]) -> None:
    budgets = {p["metadata"]["name"]: p for p in _all(scaled_objects, "PodDisruptionBudget")}
    assert set(budgets) == {"asan-web", "asan-worker"}
    for name, budget in budgets.items():
        assert budget["apiVersion"] == "policy/v1"
        labels = _one(scaled_objects, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert budget["spec"]["maxUnavailable"] == 1


def test_autoscaling_is_an_autoscaling_v2_hpa_on_cpu(autoscaled_objects: list[Manifest]) -> None:
    (hpa,) = _all(autoscaled_objects, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "asan-web",
    }
    ((metric),) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert "replicas" not in _one(autoscaled_objects, "Deployment", "asan-web")["spec"]
    budgets = [p["metadata"]["name"] for p in _all(autoscaled_objects, "PodDisruptionBudget")]
    assert budgets == ["asan-web"], "autoscaling.minReplicas defaults to 2"


# Monitoring and network


def test_service_monitor_is_off_by_default(default_objects: list[Manifest]) -> None:
    assert not _all(default_objects, "ServiceMonitor")


def test_service_monitor_scrapes_metrics_of_the_web_pods(scaled_objects: list[Manifest]) -> None:
    (monitor,) = _all(scaled_objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    service = _one(scaled_objects, "Service", "asan-web")
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= (
        service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


def _ports(rule: dict[str, Any]) -> set[int | str]:
    return {port["port"] for port in rule.get("ports", [])}


def test_network_policies_admit_the_ingress_controller_and_prometheus_only(
    default_objects: list[Manifest],
) -> None:
    policies = {p["metadata"]["name"]: p for p in _all(default_objects, "NetworkPolicy")}
    everything, web = policies["asan"], policies["asan-web"]
    for _, template in _pod_templates(default_objects):
        labels = template["metadata"]["labels"]
        assert everything["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    assert everything["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert everything["spec"]["ingress"] == []
    (rule,) = web["spec"]["ingress"]
    namespaces = [
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in rule["from"]
    ]
    assert namespaces == ["ingress-nginx", "monitoring"]
    assert _ports(rule) == {"http"}


def test_network_policy_egress_reaches_dns_and_postgresql(
    default_objects: list[Manifest], scaled_objects: list[Manifest]
) -> None:
    egress = _one(default_objects, "NetworkPolicy", "asan")["spec"]["egress"]
    ports = [_ports(rule) for rule in egress]
    assert {53} in ports
    assert {5432} in ports
    assert {6379} not in ports, "no Redis rule while Redis is off"
    scaled = _one(scaled_objects, "NetworkPolicy", "asan")["spec"]["egress"]
    assert {6379} in [_ports(rule) for rule in scaled]


def test_network_policy_egress_reaches_the_agencies(government_objects: list[Manifest]) -> None:
    egress = _one(government_objects, "NetworkPolicy", "asan")["spec"]["egress"]
    (agencies,) = [rule for rule in egress if _ports(rule) == {443, 25}]
    assert [peer["ipBlock"]["cidr"] for peer in agencies["to"]] == [
        "10.50.0.0/16",
        "203.0.113.0/24",
    ]


# Values the chart refuses


@pytest.mark.parametrize(
    ("values", "named"),
    [
        pytest.param({"tenants": [{"code": "AZ"}]}, ["/tenants/0/code", "'AZ'"], id="code"),
        pytest.param({"web": {"replicas": "two"}}, ["/web/replicas", "integer"], id="replicas"),
        pytest.param({"replicaCount": 2}, ["replicaCount", "not allowed"], id="unknown-key"),
        pytest.param({"ingress": {"clasName": "x"}}, ["/ingress", "clasName"], id="typo"),
        pytest.param({"baseDomain": "Asan.Example"}, ["/baseDomain", "'Asan.Example'"], id="host"),
        pytest.param(
            {"tenants": [{"code": "az", "hostnames": ["asan gov az"]}]},
            ["/tenants/0/hostnames/0", "'asan gov az'"],
            id="hostname",
        ),
        pytest.param(
            {"securityContext": {"allowPrivilegeEscalation": True}},
            ["/securityContext/allowPrivilegeEscalation"],
            id="escalation",
        ),
        pytest.param(
            {"worker": {"lease": 0}}, ["/worker/lease", "minimum"], id="lease-below-minimum"
        ),
        pytest.param({"image": {"digest": "latest"}}, ["/image/digest", "'latest'"], id="digest"),
        pytest.param(
            {"web": {"replicas": 2}}, ["redis.enabled", "web.replicas"], id="replicas-no-redis"
        ),
        pytest.param(
            {"tenants": [{"code": "mn"}]},
            ['tenant "mn"', "tenantBundles.existingConfigMap"],
            id="no-bundle",
        ),
        pytest.param(
            {"tenants": [{"code": "az", "hostnames": [f"ma.{BASE_DOMAIN}"]}, {"code": "ma"}]},
            [f'"ma.{BASE_DOMAIN}"', "listed twice"],
            id="host-twice",
        ),
    ],
)
def test_bad_values_are_refused_naming_what_is_wrong(
    render: Callable[[Values], list[Manifest]], values: Values, named: list[str]
) -> None:
    with pytest.raises(ChartRejected) as refused:
        render(values)
    for text in named:
        assert text in str(refused.value)


def test_values_file_passes_its_own_schema() -> None:
    """values.yaml and the schema are edited together; a key in one only is a mistake."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert set(values) <= set(schema["properties"])
    assert set(schema["required"]) <= set(values)

    def undescribed(node: dict[str, Any], path: str) -> Iterator[str]:
        for key, child in node.get("properties", {}).items():
            if "description" not in child:
                yield f"{path}.{key}"
            yield from undescribed(child, f"{path}.{key}")

    assert list(undescribed(schema, "")) == []


def test_the_readme_documents_every_value_and_the_example() -> None:
    readme = (REPO_ROOT / "helm" / "README.md").read_text(encoding="utf-8")
    assert str(GOVERNMENT_VALUES.relative_to(REPO_ROOT)) in readme
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    for key, value in values.items():
        nested = value.keys() if isinstance(value, dict) else []
        paths = [f"{key}.{child}" for child in nested] or [key]
        for path in paths:
            assert f"`{path}" in readme, f"helm/README.md does not document {path}"
