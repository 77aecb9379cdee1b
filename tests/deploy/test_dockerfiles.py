"""The eight Dockerfiles, read without Docker: hadolint and checkov clean, and the promises the
chart, the Tiltfile and issue 6 rely on written into every one of them. `test_images.py` then
builds and runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polykit.settings import SERVICE_PORTS
from tests.deploy.conftest import REPO, SERVICES

# The load generator's image is linted and scanned like the services'; the contract below (ports,
# probes, a dev target) is the services' alone.
DOCKERFILES = [REPO / "services" / service / "Dockerfile" for service in SERVICES] + [
    REPO / "loadgen" / "Dockerfile"
]
SKIP = re.compile(r"#\s*checkov:skip=(CKV2?_DOCKER_\d+):(.*)")
# Not an architecture's name, nor a download that would need one.
ARCH_SPECIFIC = re.compile(r"amd64|x86_64|aarch64|arm64|\bcurl\b|\bwget\b|https?://", re.I)
UV_ENV = {
    "UV_PYTHON_DOWNLOADS": "never",
    "UV_PYTHON": "python3",
    "UV_LINK_MODE": "copy",
    "UV_PROJECT_ENVIRONMENT": "/opt/venv",
}
RUN_ENV = {"HOST": "0.0.0.0", "DATA_DIR": "/data", "PYTHONUNBUFFERED": "1"}


@dataclass
class Stage:
    name: str
    parent: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


@dataclass
class Dockerfile:
    text: str
    preamble: list[tuple[str, str]]
    stages: dict[str, Stage]

    def chain(self, name: str) -> list[Stage]:
        """The stage and its ancestors, base first."""
        stages = []
        while name in self.stages:
            stages.insert(0, self.stages[name])
            name = self.stages[name].parent
        return stages

    def effective(self, name: str, keyword: str) -> str | None:
        found = [args for stage in self.chain(name) for args in stage.all(keyword)]
        return found[-1] if found else None

    def env(self, name: str) -> dict[str, str]:
        env: dict[str, str] = {}
        for stage in self.chain(name):
            for args in stage.all("ENV"):
                for name, value in (pair.split("=", 1) for pair in args.split()):
                    env[name] = re.sub(
                        r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), "<base>"), value
                    )
        return env


def parse(path: Path) -> Dockerfile:
    text = path.read_text()
    instructions: list[tuple[str, str]] = []
    logical = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        logical += line.strip()
        if logical.endswith("\\"):
            logical = logical[:-1] + " "
            continue
        keyword, _, args = logical.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        logical = ""
    preamble: list[tuple[str, str]] = []
    stages: dict[str, Stage] = {}
    current: list[tuple[str, str]] = preamble
    for keyword, args in instructions:
        if keyword == "FROM":
            parent, _, name = args.partition(" AS ")
            assert name, f"{path}: every stage is named ({args})"
            stages[name] = Stage(name, parent)
            current = stages[name].instructions
        else:
            current.append((keyword, args))
    return Dockerfile(text, preamble, stages)


def _runs(dockerfile: Dockerfile, stage: str) -> list[str]:
    return [run for s in dockerfile.chain(stage) for run in s.all("RUN")]


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run(
        [str(hadolint), *map(str, DOCKERFILES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not done.stdout.strip()


def test_checkov_fails_no_check_and_every_skip_says_why(checkov: str) -> None:
    done = subprocess.run(
        [
            checkov,
            *(arg for path in DOCKERFILES for arg in ("-f", str(path))),
            "--framework",
            "dockerfile",
            "--skip-download",
            "--compact",
            "--quiet",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert report["summary"]["failed"] == 0, json.dumps(report["results"], indent=1)[:4000]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(DOCKERFILES)
    assert done.returncode == 0, done.stderr[-3000:]
    skips = [SKIP.search(line) for path in DOCKERFILES for line in path.read_text().splitlines()]
    skips = [skip for skip in skips if skip]
    for skip in skips:
        assert len(skip.group(2).split()) >= 4, f"{skip.group(1)}: say why it does not apply"
    # Every skip comment is one checkov honoured: none is stale.
    assert report["summary"]["skipped"] == len(skips)


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_keeps_the_image_contract(service: str) -> None:
    path = REPO / "services" / service / "Dockerfile"
    dockerfile = parse(path)
    # BuildKit would pull the named frontend, and nothing can be pulled on the CI machines.
    assert not re.search(r"^#\s*syntax\s*=", dockerfile.text, re.I | re.M)

    # One base for every stage, a build argument: the venv's python is a symlink into it.
    assert [kw for kw, _ in dockerfile.preamble] == ["ARG"]
    assert dockerfile.preamble[0][1].startswith("PYTHON_IMAGE=")
    names = list(dockerfile.stages)
    for index, stage in enumerate(dockerfile.stages.values()):
        assert stage.parent in ("${PYTHON_IMAGE}", *names[:index]), stage.parent

    # The runtime is last (a plain `docker build` gives it); `dev` is Tilt's target.
    assert names[-1] == "runtime"
    assert "dev" in names
    runtime = dockerfile.stages["runtime"]
    assert runtime.all("RUN") == []
    assert runtime.all("COPY") == ["--from=builder /opt/venv /opt/venv"]

    for target in ("runtime", "dev"):
        user = dockerfile.effective(target, "USER")
        assert user
        assert re.fullmatch(r"\d+:\d+", user), user
        assert int(user.split(":")[0]) >= 10000
        assert json.loads(dockerfile.effective(target, "ENTRYPOINT") or "") == [
            "python",
            "-m",
            service,
        ]
        assert json.loads(dockerfile.effective(target, "CMD") or "") == []
        assert dockerfile.effective(target, "EXPOSE") == str(SERVICE_PORTS[service])
        healthcheck = dockerfile.effective(target, "HEALTHCHECK") or ""
        assert "/healthz" in healthcheck
        assert json.loads(healthcheck[healthcheck.index("CMD ") + 4 :])[0] == "python"
        env = dockerfile.env(target)
        assert env["PATH"].startswith("/opt/venv/bin:")
        assert RUN_ENV.items() <= env.items()
    assert dockerfile.env("runtime").get("RELOAD") is None
    assert {"RELOAD": "true", "ENVIRONMENT": "dev"}.items() <= dockerfile.env("dev").items()
    assert UV_ENV.items() <= dockerfile.env("builder").items()
    assert dockerfile.env("builder")["UV_COMPILE_BYTECODE"] == "1"

    # The dependency layer comes from the lock for this service alone, before any code; then the
    # code, installed as packages (the runtime never sees /app).
    syncs = [run for run in _runs(dockerfile, "builder") if "uv sync" in run]
    assert len(syncs) == 2
    package = f"--frozen --no-dev --package polyshop-{service}"
    assert f"uv sync {package} --no-install-workspace" in syncs[0]
    assert f"uv sync {package} --no-editable" in syncs[1]
    assert all("--mount=type=cache,target=/root/.cache/uv" in run for run in syncs)
    deps = dockerfile.stages[dockerfile.chain("builder")[-1].parent]
    assert deps.all("COPY") == []
    # The dev image syncs the same package, editable, as the app user.
    dev = dockerfile.stages["dev"]
    assert dev.all("RUN")[-1].startswith(f"uv sync {package}")
    assert dev.all("USER") == ["10001:10001"]

    for run in _runs(dockerfile, "builder") + _runs(dockerfile, "dev"):
        assert not ARCH_SPECIFIC.search(run), run


@pytest.mark.parametrize("service", SERVICES)
def test_dev_target_holds_what_tilt_syncs_into(service: str) -> None:
    dockerfile = parse(REPO / "services" / service / "Dockerfile")
    copies = [
        args.removeprefix("--chown=10001:10001 ").split()
        for args in dockerfile.stages["dev"].all("COPY")
        if not args.startswith("--from=")
    ]
    # Owned by the app user, who writes live update's files.
    assert all("--chown=10001:10001 " in args for args in dockerfile.stages["dev"].all("COPY"))
    sources = {source for *sources, _ in copies for source in sources}
    # The live-update paths and what `uv sync --frozen` reads: it needs no other workspace
    # member's files, so no Dockerfile has to list them.
    assert sources == {"pyproject.toml", "uv.lock", "libs/polykit", f"services/{service}"}


def test_the_dockerfiles_differ_only_in_their_service() -> None:
    """One recipe in eight copies (the Tiltfile and the chart name each file): a fix made to one
    and not the others fails here."""

    def recipe(service: str) -> list[str]:
        lines = (REPO / "services" / service / "Dockerfile").read_text().splitlines()[1:]
        return [
            line.replace(service, "<service>").replace(str(SERVICE_PORTS[service]), "<port>")
            for line in lines
        ]

    expected = recipe(SERVICES[0])
    for service in SERVICES[1:]:
        assert recipe(service) == expected, service
