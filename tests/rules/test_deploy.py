"""The deployment files: validated by the real tools where they exist, and consistent with each
other (ports, job name, mounts, one copy of the rules and dashboards)."""

from __future__ import annotations

import importlib.util
import os
import posixpath
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.settings import load_settings
from tests.rules.tools import DEPLOY, REPO, RULES_FILE, load_rules, run_tool

K8S = DEPLOY / "kubernetes"
CONFIG_PATH = "/etc/tailwatch/tailwatch.toml"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _render_module():
    spec = importlib.util.spec_from_file_location("render", K8S / "render_prometheusrule.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- Prometheus and Alertmanager -----------------------------------------------------------------


def test_promtool_check_config_loads_the_rules(promtool: str) -> None:
    result = run_tool(promtool, "check", "config", DEPLOY / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout
    config = _yaml(DEPLOY / "prometheus.yml")
    rule_files = [(DEPLOY / p).resolve() for p in config["rule_files"]]
    assert rule_files == [RULES_FILE.resolve()]


def test_prometheus_scrapes_the_configured_exporter() -> None:
    config = _yaml(DEPLOY / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    # The daemon-health rules select up{job="tailwatch"}.
    assert any('up{job="tailwatch"}' in rule["expr"] for rule in load_rules() if "alert" in rule)
    targets = jobs["tailwatch"]["static_configs"][0]["targets"]
    exporter = tomllib.loads((DEPLOY / "tailwatch.toml").read_text())["exporter"]
    assert targets == [f"{exporter['host']}:{exporter['port']}"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "127.0.0.1:9093"
    ]


def test_amtool_check_config(amtool: str) -> None:
    result = run_tool(amtool, "check-config", DEPLOY / "alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("severity", "receiver"), [("critical", "pager"), ("warning", "team"), ("info", "digest")]
)
def test_alertmanager_routes_by_severity(amtool: str, severity: str, receiver: str) -> None:
    result = run_tool(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={DEPLOY / 'alertmanager.yml'}",
        "alertname=TailwatchCoverageDecline",
        f"severity={severity}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_every_rule_severity_has_a_route() -> None:
    routes = _yaml(DEPLOY / "alertmanager.yml")["route"]["routes"]
    routed = {m.split("=")[1].strip('"') for r in routes for m in r["matchers"] if "severity" in m}
    used = {rule["labels"]["severity"] for rule in load_rules() if "alert" in rule}
    assert used <= routed


# -- systemd, container image, example configuration ---------------------------------------------


def test_systemd_unit_verifies_and_is_hardened(tmp_path: Path) -> None:
    unit = (DEPLOY / "systemd" / "tailwatch.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and line[0] not in "#;"
    )
    assert settings["ExecStart"] == f"/usr/local/bin/tailwatch run --config {CONFIG_PATH}"
    for key, value in {
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "StateDirectory": "tailwatch",
        "CapabilityBoundingSet": "",
        "Restart": "on-failure",
    }.items():
        assert settings.get(key) == value, key
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit's syntax was not verified")
    # verify also checks that ExecStart exists: point it at a binary this machine has
    copy = tmp_path / "tailwatch.service"
    copy.write_text(unit.replace("/usr/local/bin/tailwatch", shutil.which("true") or "/bin/true"))
    result = run_tool(analyze, "verify", copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (result.stdout + result.stderr).strip(), result.stdout + result.stderr


def test_containerfile_runs_the_daemon_unprivileged() -> None:
    lines = [ln.strip() for ln in (DEPLOY / "Containerfile").read_text().splitlines()]
    froms = [ln.split()[1] for ln in lines if ln.startswith("FROM ")]
    assert froms and all(image.startswith("python:3.11") for image in froms)
    assert 'ENTRYPOINT ["tailwatch"]' in lines
    assert f'CMD ["run", "--config", "{CONFIG_PATH}"]' in lines
    user = [ln for ln in lines if ln.startswith("USER ")]
    assert user and not user[-1].split()[1].startswith(("root", "0"))
    assert "EXPOSE 9108" in lines


@pytest.mark.parametrize("path", [DEPLOY / "tailwatch.toml", K8S / "tailwatch.toml"])
def test_example_configurations_load(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("TAILWATCH_")]:
        monkeypatch.delenv(key)
    settings = load_settings(path)
    assert settings.exporter.port == 9108
    assert settings.storage.path == "/var/lib/tailwatch/tailwatch.duckdb"
    assert settings.generators and settings.corpora


# -- docker-compose ------------------------------------------------------------------------------


def _mounts(service: dict[str, Any]) -> dict[str, Path | str]:
    """Container path -> host path (resolved from deploy/) or named volume."""
    out: dict[str, Path | str] = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        out[target] = (DEPLOY / source).resolve() if source.startswith(".") else source
    return out


def _container_file(mounts: dict[str, Path | str], container_path: str) -> Path:
    """The host file that ``container_path`` shows inside a container with ``mounts``."""
    for target, source in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
        if isinstance(source, Path) and (
            container_path == target or container_path.startswith(target + "/")
        ):
            return source / posixpath.relpath(container_path, target)
    raise AssertionError(f"{container_path} is not mounted from the repository")


def test_compose_mounts_the_one_copy_of_rules_dashboards_and_configs() -> None:
    compose = _yaml(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    assert {"tailwatch", "prometheus", "alertmanager", "grafana"} <= set(services)
    for name, service in services.items():
        for target, source in _mounts(service).items():
            if isinstance(source, Path) and "${" not in str(source):
                assert source.exists(), f"{name}: {source} (for {target}) does not exist"

    daemon = services["tailwatch"]
    assert daemon["command"] == ["run", "--config", CONFIG_PATH]
    assert _container_file(_mounts(daemon), CONFIG_PATH) == (DEPLOY / "tailwatch.toml").resolve()

    prometheus = services["prometheus"]
    mounts = _mounts(prometheus)
    config_path = next(a.split("=", 1)[1] for a in prometheus["command"] if "config.file" in a)
    assert _container_file(mounts, config_path) == (DEPLOY / "prometheus.yml").resolve()
    for rule_file in _yaml(DEPLOY / "prometheus.yml")["rule_files"]:
        inside = posixpath.normpath(posixpath.join(posixpath.dirname(config_path), rule_file))
        assert _container_file(mounts, inside) == RULES_FILE.resolve()

    alertmanager = services["alertmanager"]
    config_path = next(a.split("=", 1)[1] for a in alertmanager["command"] if "config.file" in a)
    assert (
        _container_file(_mounts(alertmanager), config_path)
        == (DEPLOY / "alertmanager.yml").resolve()
    )

    grafana = _mounts(services["grafana"])
    assert grafana["/etc/grafana/provisioning"] == (REPO / "grafana" / "provisioning").resolve()
    provider = _yaml(REPO / "grafana" / "provisioning" / "dashboards" / "tailwatch.yml")
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert grafana[dashboards_path] == (REPO / "grafana" / "dashboards").resolve()


def test_compose_services_share_the_loopback_of_the_host_install() -> None:
    """prometheus.yml and the datasource use 127.0.0.1: every service shares one network."""
    services = _yaml(DEPLOY / "docker-compose.yml")["services"]
    shared = {name: s.get("network_mode") for name, s in services.items() if name != "netns"}
    assert set(shared.values()) == {"service:netns"}, shared
    datasource = _yaml(REPO / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    assert datasource["datasources"][0]["url"] == "http://127.0.0.1:9090"


def test_no_copies_of_the_rules_outside_rules() -> None:
    generated = K8S / "prometheusrule.yaml"
    for path in [*DEPLOY.rglob("*"), *(REPO / "grafana").rglob("*")]:
        if path.is_file() and path != generated and path.suffix in (".yml", ".yaml", ".json"):
            text = path.read_text()
            assert "alert: Tailwatch" not in text, f"{path} copies alerting rules"
    assert not list(DEPLOY.rglob("*.json")), "dashboards belong in grafana/dashboards only"


# -- Kubernetes ----------------------------------------------------------------------------------


def _k8s_objects() -> dict[str, dict[str, Any]]:
    kustomization = _yaml(K8S / "kustomization.yaml")
    objects = {}
    for resource in kustomization["resources"]:
        for doc in _documents(K8S / resource):
            objects[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return objects


def test_prometheusrule_is_in_sync_with_the_rules() -> None:
    render = _render_module()
    assert render.main(["--check"]) == 0, "run python deploy/kubernetes/render_prometheusrule.py"
    rule = _documents(K8S / "prometheusrule.yaml")[0]
    assert rule["spec"]["groups"] == _yaml(RULES_FILE)["groups"]


def test_prometheusrule_check_detects_drift(tmp_path: Path) -> None:
    render = _render_module()
    stale = tmp_path / "prometheusrule.yaml"
    stale.write_text(render.render().replace("for: 1m", "for: 2m", 1))
    assert render.main(["--check", "--output", str(stale)]) == 1
    moved = render.render("https://runbooks.example.org/tailwatch.md")
    assert "https://runbooks.example.org/tailwatch.md#tailwatchcoveragedecline" in moved


def test_prometheusrule_rules_pass_promtool(promtool: str, tmp_path: Path) -> None:
    rule = _documents(K8S / "prometheusrule.yaml")[0]
    extracted = tmp_path / "rules.yml"
    extracted.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    result = run_tool(promtool, "check", "rules", extracted)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_objects_fit_together() -> None:
    objects = _k8s_objects()
    for kind in ("Deployment", "Service", "ServiceMonitor", "PrometheusRule"):
        assert f"{kind}/tailwatch" in objects, kind
    deployment = objects["Deployment/tailwatch"]["spec"]
    assert deployment["replicas"] == 1, "DuckDB has one writer"
    assert deployment["strategy"]["type"] == "Recreate"
    pod = deployment["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == ["run", "--config", CONFIG_PATH]
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims <= {
        name.split("/")[1] for name in objects if name.startswith("PersistentVolumeClaim/")
    }
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    state = next(
        v["name"]
        for v in pod["volumes"]
        if v.get("persistentVolumeClaim", {}).get("claimName") == "tailwatch-state"
    )
    assert mounts[state] == "/var/lib/tailwatch"
    config_volume = next(v for v in pod["volumes"] if "configMap" in v)
    generator = _yaml(K8S / "kustomization.yaml")["configMapGenerator"][0]
    assert config_volume["configMap"]["name"] == generator["name"]
    assert posixpath.join(mounts[config_volume["name"]], generator["files"][0]) == CONFIG_PATH
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
    assert port == 9108

    service = objects["Service/tailwatch"]
    # the Service's name is the scraped job: the rules select job="tailwatch"
    assert service["metadata"]["name"] == "tailwatch"
    assert service["spec"]["selector"].items() <= pod_labels(deployment).items()
    assert [p["name"] for p in service["spec"]["ports"]] == ["metrics"]
    monitor = objects["ServiceMonitor/tailwatch"]["spec"]
    assert monitor["endpoints"][0]["port"] == "metrics"
    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return deployment["template"]["metadata"]["labels"]


def test_kustomize_builds() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize deploy/kubernetes` not run")
    result = run_tool(kubectl, "kustomize", K8S)
    assert result.returncode == 0, result.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc]
    assert sorted(kinds) == sorted(
        [
            "Namespace",
            "ConfigMap",
            "Service",
            "PersistentVolumeClaim",
            "PersistentVolumeClaim",
            "Deployment",
            "PrometheusRule",
            "ServiceMonitor",
        ]
    )
