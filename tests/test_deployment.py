"""The deployment files: the Makefile's demo, the Dockerfile and compose.yaml (docs/deployment.md).

Cheap checks of the facts the documentation promises, on every run; ``docker build`` itself
where Docker is available (it is not on the project's test machines, so it skips, saying so).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
#: The users a container must not run as.
ROOT_USERS = {"root", "0", "0:0", "root:root"}


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def test_make_demo_never_calls_sudo_or_apt() -> None:
    planned = subprocess.run(
        ["make", "--dry-run", "--always-make", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    ).stdout
    assert "gpequity serve" in planned, planned
    for word in ("sudo", "apt-get", "install-system-deps"):
        assert word not in planned, f"make demo runs {word}:\n{planned}"


def test_the_image_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _final_stage() if keyword == "USER"]
    assert users, "the final stage sets no USER: the app would run as root"
    assert users[-1] not in ROOT_USERS


def test_the_image_has_a_healthcheck_on_healthz() -> None:
    checks = [args for keyword, args in _final_stage() if keyword == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0], checks
    assert not checks[0].upper().startswith("NONE")


def test_the_image_builds_the_wheel_in_a_stage_of_its_own() -> None:
    instructions = _instructions()
    stages = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(stages) >= 2, "a multi-stage build"
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "tools/vendor_assets.py" in runs and "pip wheel" in runs
    final = " ".join(args for keyword, args in _final_stage())
    assert "--from=wheel" in final and ".whl" in final, "the runtime installs the built wheel"
    assert "/data" in final and "GPEQUITY_DB=/data/" in final


def test_compose_runs_several_replicas_behind_a_proxy_with_a_read_only_warehouse() -> None:
    services = _compose()["services"]
    app = services["app"]
    assert app["deploy"]["replicas"] >= 2
    data = [v for v in app["volumes"] if v["target"] == "/data"]
    assert data and all(v["read_only"] is True for v in data), app["volumes"]
    assert app["environment"]["GPEQUITY_DB"].startswith("/data/")
    assert "ports" not in app, "the replicas are reached through the proxy only"
    proxy = services["proxy"]
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    (config,) = [v for v in proxy["volumes"] if v["target"].startswith("/etc/nginx/")]
    assert config["read_only"] is True
    nginx = (ROOT / config["source"]).read_text(encoding="utf-8")
    assert re.search(r"server\s+app:8000\b", nginx), "the upstream is the app service"
    assert "proxy_pass http://gpequity;" in nginx


def _docker_unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "docker is not installed"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return "no Docker daemon answers (docker info failed)"
    return None


@pytest.mark.docker
def test_docker_build() -> None:
    reason = _docker_unavailable()
    if reason:
        pytest.skip(f"docker build not tested: {reason}")
    built = subprocess.run(
        ["docker", "build", "--tag", "gpequity:test", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    user = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Config.User}}", "gpequity:test"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert user and user not in ROOT_USERS
