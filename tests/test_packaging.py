"""What ``pip install`` gives, and so the image (deploy/Containerfile builds and installs this
wheel): the sdist and the wheel built as CI builds them (``python -m build``: the wheel is built
from the sdist) hold the packages, the runbooks as a real file, the rules and the dashboards; the
daemon installed from the wheel (not editable) serves ``/runbooks/<alert>``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.support.net import free_port, wait_http

REPO = Path(__file__).resolve().parents[1]
SHARE = "tailwatch-0.1.0.data/data/share/tailwatch"

DEPLOY = REPO / "deploy"


def _expected_data() -> dict[str, Path]:
    """The operator's files the wheel ships under share/tailwatch, by their name there."""
    files = {f"rules/{p.name}": p for p in sorted((REPO / "rules").glob("*.yml"))} | {
        f"rules/tests/{p.name}": p for p in sorted((REPO / "rules" / "tests").glob("*.yml"))
    }
    for p in sorted((REPO / "grafana").glob("dashboards/*.json")):
        files[f"grafana/dashboards/{p.name}"] = p
    for p in sorted((REPO / "grafana" / "provisioning").glob("*/*.yml")):
        files[f"grafana/provisioning/{p.parent.name}/{p.name}"] = p
    return files


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


@pytest.mark.slow
def test_wheel_and_sdist_hold_packages_runbooks_rules_and_dashboards(dist: Path) -> None:
    (wheel,) = dist.glob("tailwatch-*.whl")
    (sdist,) = dist.glob("tailwatch-*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        runbooks = archive.read("monitor/runbooks.md")
        data = {name: archive.read(f"{SHARE}/{name}") for name in _expected_data()}
    for package in ("collectors", "monitor", "tailwatch", "monitor/commands", "monitor/exporter"):
        assert f"{package}/__init__.py" in names, package
    assert runbooks == (REPO / "monitor" / "runbooks.md").read_bytes()
    assert b"## TailwatchCoverageDecline" in runbooks
    assert len(data) >= 10
    assert data == {name: path.read_bytes() for name, path in _expected_data().items()}
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if "/" in m.name}
    assert members["monitor/runbooks.md"].isfile()  # a file, not a link out of the package
    assert "tailwatch/__init__.py" in members
    for name in _expected_data().values():
        assert str(name.relative_to(REPO)) in members


@pytest.mark.slow
def test_installed_wheel_serves_the_runbooks(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("tailwatch-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import monitor, tailwatch; print(monitor.__file__, tailwatch.__file__)",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(Path(path).is_relative_to(env_dir) for path in where), where  # not the checkout
    assert (env_dir / "share" / "tailwatch" / "rules" / "tailwatch.rules.yml").is_file()

    port = free_port()
    config = tmp_path / "tailwatch.toml"
    config.write_text(
        f'[storage]\npath = "tailwatch.duckdb"\n[exporter]\nport = {port}\n', encoding="utf-8"
    )
    daemon = subprocess.Popen(
        [str(env_dir / "bin" / "tailwatch"), "run", "--config", str(config)],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/-/healthy", timeout=180)
        with urllib.request.urlopen(f"{base}/runbooks/tailwatchcoveragedecline", timeout=10) as r:
            assert r.status == 200
            page = r.read().decode()
        assert '<h2 id="tailwatchcoveragedecline">' in page
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=120)
    assert daemon.returncode == 0, stderr.decode()[-2000:]


def test_image_installs_the_wheel_and_checks_health() -> None:
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    build, final = text.split("\nFROM ", 2)[1:]
    assert "python -m build --outdir /dist ." in build
    for folder in ("collectors", "monitor", "tailwatch", "rules", "grafana/dashboards"):
        assert f"COPY {folder} ./{folder}" in build, folder
    assert "COPY --from=build /dist/*.whl /wheels/" in final
    assert "pip install --no-cache-dir /wheels/*.whl" in final
    assert not [ln for ln in final.splitlines() if ln.startswith("COPY ") and "--from" not in ln]
    assert "HEALTHCHECK" in final and "/-/healthy" in final
    assert "NUMBA_CACHE_DIR=/var/lib/tailwatch/" in final  # on the volume, not /tmp
    assert 'VOLUME ["/var/lib/tailwatch"]' in final

    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    service = compose["services"]["tailwatch"]
    assert "/-/healthy" in " ".join(service["healthcheck"]["test"])
    assert compose["services"]["prometheus"]["depends_on"]["tailwatch"] == {
        "condition": "service_healthy"
    }


def test_kubernetes_pod_has_a_startup_probe_and_keeps_kernels_on_its_volume() -> None:
    deployment = yaml.safe_load(
        (DEPLOY / "kubernetes" / "deployment.yaml").read_text(encoding="utf-8")
    )
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["startupProbe"]["httpGet"]["path"] == "/-/healthy"
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120
    assert "initialDelaySeconds" not in container["livenessProbe"]
    env = {e["name"]: e["value"] for e in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    cache = env["NUMBA_CACHE_DIR"]
    (mount,) = [path for path in mounts if cache.startswith(path.rstrip("/") + "/")]
    volume = volumes[mounts[mount]]
    assert "emptyDir" not in volume
    assert volume["persistentVolumeClaim"]["claimName"] == "tailwatch-state"
