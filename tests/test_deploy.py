"""The deployment files: the compose file is valid and runs two instances behind a proxy that
upgrades WebSockets, with migrations run once before them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT, _unavailable


def compose_config() -> dict[str, object]:
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        command = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose"]
    else:
        _unavailable("docker compose", "neither `docker compose` nor `docker-compose` found")
    done = subprocess.run(
        [*command, "config", "--format", "json"]
        if command[0] == "docker"
        else [*command, "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if command[0] == "docker":
        return dict(json.loads(done.stdout))
    import yaml  # docker-compose v1 prints YAML

    return dict(yaml.safe_load(done.stdout))


def test_the_compose_file_runs_two_instances_behind_a_websocket_proxy() -> None:
    config = compose_config()
    services = config["services"]
    assert isinstance(services, dict)
    instances = [name for name in services if name.startswith("atelier-")]
    assert len(instances) == 2
    for name in instances:
        environment = services[name]["environment"]
        assert environment["ATELIER_REDIS_URL"] == "redis://redis:6379/0"
        assert environment["ATELIER_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert (
            services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        )
        assert "healthcheck" in services[name]
    assert services["migrate"]["command"] == ["atelier", "db", "upgrade"]
    nginx = (Path(ROOT) / "deploy" / "nginx.conf").read_text()
    for instance in instances:
        assert f"server {instance}:8000" in nginx
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    # The instances trust nginx's X-Forwarded-For for the per-address limits: nginx must set it
    # to the address it saw, never pass on what a client wrote there.
    for name in instances:
        assert services[name]["environment"]["ATELIER_FORWARDED_ALLOW_IPS"] == "*"
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    assert "$proxy_add_x_forwarded_for" not in nginx
    assert "sticky" not in nginx
    assert "ip_hash" not in nginx


def test_the_proxy_logs_no_query_string() -> None:
    """Every WebSocket handshake carries its grant as ``?token=…``: nginx's default access log
    (``combined``, with ``$request``) would keep every participant's credential."""
    nginx = (Path(ROOT) / "deploy" / "nginx.conf").read_text()
    formats = dict(re.findall(r"^\s*log_format\s+(\S+)\s+((?:'[^']*'\s*)+);", nginx, re.MULTILINE))
    access_logs = re.findall(r"^\s*access_log\s+([^;]+);", nginx, re.MULTILINE)
    assert access_logs, "no access_log: nginx's default, combined, would log $request"
    for line in access_logs:
        path, *rest = line.split()
        if path == "off":
            continue
        assert rest, f"access_log {path} uses the default format (combined, with $request)"
        assert rest[0] in formats, f"unknown log format {rest[0]}"
        logged = formats[rest[0]]
        # $request is the whole request line; $request_method, $request_time are harmless.
        assert not re.search(r"\$request(?![a-z_])", logged), logged
        for leaky in ("$request_uri", "$args", "$query_string", "$arg_", "$is_args"):
            assert leaky not in logged, leaky
        assert "$uri" in logged  # the path alone
