"""Every service's image, really built with Docker and really run the way the chart runs it.

The images are built on a stand-in for the slim Python base (no image can be pulled on the CI
machines): a Debian bookworm with python3, made by debootstrap once and cached under .tools/ (set
PYTHON_IMAGE to build on a real base instead). Each runtime image then runs read-only, as UID 10001,
with every capability dropped and no privilege escalation, on host networking, until its /readyz
answers 200, and stops cleanly on SIGTERM. Orders' image also runs its worker and its migration. The
`dev` target is built for one service per reloader (gunicorn, uvicorn, Sanic, Tornado) and a file
changed in its live-update path must show in its answers, as Tilt's live update promises.

A Docker daemon that answers is used as it is; otherwise, as root, the test starts its own on a
private socket (installing docker.io when missing) with its data under .tools/docker, so a second
run builds from cache, and stops it at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polykit.settings import SERVICE_PORTS
from polykit.testing import skip_or_fail
from tests.deploy.conftest import REPO, SERVICES

TOOLS = REPO / ".tools"
UID = "10001:10001"  # the Dockerfiles' USER
WSGI = ("storefront", "orders", "payments", "users", "inventory")
# One service per reloader the dev image can run: gunicorn, uvicorn, Sanic, Tornado.
DEV_SERVICES = ("payments", "catalog", "cart", "notifications")
# The builds are CPU-bound (compiling bytecode): two at once overlap one's downloads and layer
# writes with the other's compiling; more only contend for the two cores (measured).
BUILD_WORKERS = 2
BASE_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
READY_SECONDS = 120
HARDENED = shlex.split(
    "--read-only --tmpfs /tmp --tmpfs /data --user 10001:10001 --cap-drop ALL"
    " --security-opt no-new-privileges --network host"
)
HOW_TO_GET_DOCKER = (
    "no Docker daemon answers and this user cannot start one: start Docker (Debian: `apt-get "
    "install docker.io debootstrap`, or Docker Desktop) or run `make test-images` as root"
)


@dataclass
class Docker:
    client: str
    env: dict[str, str] = field(repr=False)
    timings: dict[str, float] = field(default_factory=dict)
    containers: list[str] = field(default_factory=list)

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.client, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            input=stdin,
        )
        if check and done.returncode != 0:
            pytest.fail(
                f"docker {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return done

    def run(self, name: str, image: str, *args: str, options: list[str]) -> str:
        self.containers.append(name)
        self("run", "--detach", "--name", name, *options, image, *args)
        return name

    def logs(self, name: str) -> str:
        done = self("logs", "--tail", "60", name, check=False)
        return (done.stdout + done.stderr)[-6000:]

    def running(self, name: str) -> bool:
        done = self("inspect", "--format", "{{.State.Running}}", name, check=False)
        return done.stdout.strip() == "true"


def _answers(client: str, env: dict[str, str]) -> bool:
    try:
        done = subprocess.run(
            [client, "version", "--format", "{{.Server.Version}}"],
            env=env,
            capture_output=True,
            timeout=15,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _apt_install(*packages: str) -> None:
    subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *packages],
        check=True,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def _can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


@pytest.fixture(scope="session")
def docker(pytestconfig) -> Iterator[Docker]:
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    # Debian's client drives the daemon's BuildKit itself; a newer client needs its buildx plugin.
    clients = ("/usr/bin/docker", shutil.which("docker"))
    client = next((c for c in clients if c and os.access(c, os.X_OK)), None)
    if client and _answers(client, env):
        yield from _use(Docker(client, env), pytestconfig)
        return
    if not shutil.which("dockerd"):
        if not _can_install():
            skip_or_fail(HOW_TO_GET_DOCKER)
        _apt_install("docker.io")
    if os.geteuid() != 0:
        skip_or_fail(HOW_TO_GET_DOCKER)
    with _private_daemon(env) as private_env:
        yield from _use(Docker("/usr/bin/docker", private_env), pytestconfig)


def _use(docker: Docker, pytestconfig) -> Iterator[Docker]:
    started = time.monotonic()
    try:
        yield docker
    finally:
        for name in docker.containers:
            docker("rm", "--force", "--volumes", name, check=False)
        docker.timings["whole run"] = time.monotonic() - started
        reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
        capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for step, seconds in docker.timings.items():
                reporter.write_line(f"test-images timing: {step}: {seconds:.1f} s")


@contextlib.contextmanager
def _private_daemon(env: dict[str, str]) -> Iterator[dict[str, str]]:
    """dockerd on a socket of its own, with no bridge and no iptables rules: every build and
    container here uses host networking, so the host's network is left as it was."""
    state = TOOLS / "docker"
    state.mkdir(parents=True, exist_ok=True)
    lock = (state / "lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pytest.fail(
            f"{state} is in use: another test-images run, or a dockerd it left behind "
            f"(pid in {state / 'dockerd.pid'}), still holds it"
        )
    # Unix socket paths are short: the socket and the exec root live in /tmp.
    run_dir = Path(tempfile.mkdtemp(prefix="polyshop-docker-"))
    socket_path = run_dir / "docker.sock"
    log = (state / "dockerd.log").open("w")
    daemon = subprocess.Popen(
        [
            "dockerd",
            "--data-root",
            str(state / "data"),
            "--exec-root",
            str(run_dir / "exec"),
            "--host",
            f"unix://{socket_path}",
            "--pidfile",
            str(run_dir / "dockerd.pid"),
            "--bridge=none",
            "--iptables=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        # The daemon inherits the lock, so one left running (say the test was killed) keeps
        # the next run off its data.
        pass_fds=(lock.fileno(),),
        start_new_session=True,
    )
    (state / "dockerd.pid").write_text(f"{daemon.pid}\n")
    private_env = {**env, "DOCKER_HOST": f"unix://{socket_path}"}
    try:
        deadline = time.monotonic() + 60
        while not _answers("/usr/bin/docker", private_env):
            if daemon.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"dockerd did not start:\n{(state / 'dockerd.log').read_text()[-3000:]}"
                )
            time.sleep(0.2)
        yield private_env
        # The data stays for the next run's cache; the images this run's re-tagging left behind
        # do not, nor build cache beyond a bound.
        docker = Docker("/usr/bin/docker", private_env)
        docker("image", "prune", "--force", check=False)
        docker("builder", "prune", "--force", "--keep-storage=8GB", check=False)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        (state / "dockerd.pid").unlink(missing_ok=True)
        log.close()
        lock.close()
        # dockerd leaves its network namespace mounted under the exec root.
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(f"{run_dir}/")), reverse=True):
            subprocess.run(["umount", mount], check=False, capture_output=True)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def base_image(docker: Docker) -> str:
    if os.environ.get("PYTHON_IMAGE"):
        return os.environ["PYTHON_IMAGE"]
    certificates = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    recipe = hashlib.sha256(BASE_PACKAGES.encode())
    for certificate in certificates:
        recipe.update(certificate.read_bytes())
    tag = f"polyshop-test/python-base:bookworm-{recipe.hexdigest()[:12]}"
    if docker("image", "inspect", tag, check=False).returncode == 0:
        return tag
    started = time.monotonic()
    rootfs = TOOLS / "images" / f"python-base-bookworm-{recipe.hexdigest()[:12]}.tar"
    if not rootfs.exists():
        _debootstrap(rootfs, certificates)
        docker.timings["stand-in base (debootstrap)"] = time.monotonic() - started
    docker("import", str(rootfs), tag, timeout=300)
    docker.timings["stand-in base"] = time.monotonic() - started
    return tag


def _debootstrap(rootfs: Path, certificates: list[Path]) -> None:
    """A minimal bookworm with python3, trusting this machine's CAs too (pip and uv in the builds
    reach PyPI through whatever proxy the machine uses)."""
    if os.geteuid() != 0:
        skip_or_fail(
            "the stand-in Python base is made with debootstrap, as root: run as root, or set "
            "PYTHON_IMAGE (say python:3.13-slim) where Docker can pull it"
        )
    if not shutil.which("debootstrap"):
        if not _can_install():
            skip_or_fail("debootstrap is missing: install it (Debian: apt-get install debootstrap)")
        _apt_install("debootstrap")
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="bookworm-", dir=rootfs.parent))
    try:
        done = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={BASE_PACKAGES}",
                "bookworm",
                str(root),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"debootstrap failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        for certificate in certificates:
            shutil.copy(certificate, root / "usr/local/share/ca-certificates" / certificate.name)
        subprocess.run(
            ["chroot", str(root), "update-ca-certificates"], check=True, capture_output=True
        )
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (root / cache).glob("*"):
                if path.is_file():
                    path.unlink()
        partial = rootfs.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.rename(rootfs)
    finally:
        # Never delete through a mount debootstrap may have left behind (/proc, /sys).
        mounts = Path("/proc/mounts").read_text()
        if f" {root}/" not in mounts:
            shutil.rmtree(root, ignore_errors=True)


def test_build_context_holds_only_what_images_need(docker: Docker, tmp_path: Path) -> None:
    """What .dockerignore lets through to the daemon, exported as it arrives."""
    docker(
        "build",
        f"--output=type=local,dest={tmp_path}",
        "--file=-",
        str(REPO),
        stdin="FROM scratch\nCOPY . /\n",
    )
    files = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*")}
    assert {"pyproject.toml", "uv.lock", "libs/polykit/src/polykit/info.py"} <= files
    assert {f"services/{service}/src/{service}/__init__.py" for service in SERVICES} <= files
    kept_out = {".git", ".venv", ".tools", "data", "docs", "tests", "benchmarks", "helm", "k8s"}
    assert not kept_out & {path.split("/")[0] for path in files}
    assert not [path for path in files if "/tests" in path or "__pycache__" in path]


@dataclass
class Build:
    image: str
    error: str = ""


@pytest.fixture(scope="session")
def images(docker: Docker, base_image: str) -> dict[tuple[str, str], Build]:
    """Every runtime image and the dev images, built at once: the builds share the base, the uv
    stage and (through the cache mount) uv's downloads."""
    wanted = [(service, "runtime") for service in SERVICES]
    wanted += [(service, "dev") for service in DEV_SERVICES]

    def build(key: tuple[str, str]) -> Build:
        service, target = key
        image = f"polyshop/{service}:test" + ("-dev" if target == "dev" else "")
        done = docker(
            "build",
            "--progress=plain",
            "--network=host",
            f"--build-arg=PYTHON_IMAGE={base_image}",
            f"--target={target}",
            f"--file=services/{service}/Dockerfile",
            f"--tag={image}",
            str(REPO),
            timeout=900,
            check=False,
        )
        return Build(image, "" if done.returncode == 0 else done.stderr[-5000:])

    started = time.monotonic()
    with ThreadPoolExecutor(BUILD_WORKERS) as pool:
        built = dict(zip(wanted, pool.map(build, wanted), strict=True))
    docker.timings[f"{len(wanted)} builds"] = time.monotonic() - started
    return built


def _image(images: dict[tuple[str, str], Build], service: str, target: str) -> str:
    build = images[(service, target)]
    if build.error:
        pytest.fail(f"{service} ({target}) did not build:\n{build.error}")
    return build.image


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def _wait_for(docker: Docker, name: str, url: str, *, seconds: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while _get(url)[0] != 200:
        if not docker.running(name):
            pytest.fail(f"{name} exited before {url} answered 200:\n{docker.logs(name)}")
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer 200 within {seconds:.0f} s:\n{docker.logs(name)}")
        time.sleep(0.25)


@dataclass
class Started:
    name: str
    port: int
    started_at: float


def _start_all(
    docker: Docker, images: dict[tuple[str, str], Build], services: tuple[str, ...], target: str
) -> dict[str, Started]:
    # The services talk to each other on 127.0.0.1 only, and on ports nothing else here uses.
    options = HARDENED if target == "runtime" else [o for o in HARDENED if o != "--read-only"]
    started: dict[str, Started] = {}
    for service in services:
        build = images[(service, target)]
        if build.error:
            continue
        port = _free_port()
        name = f"polyshop-test-{service}-{target}-{uuid.uuid4().hex[:6]}"
        docker.run(
            name,
            build.image,
            options=[*options, "--env", "HOST=127.0.0.1", "--env", f"PORT={port}"],
        )
        started[service] = Started(name, port, time.monotonic())
    return started


@pytest.fixture(scope="module")
def runtime_containers(docker: Docker, images) -> dict[str, Started]:
    """All eight at once, so their starts overlap; each test then waits for its own."""
    return _start_all(docker, images, SERVICES, "runtime")


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_read_only_as_non_root_until_ready(
    service: str, docker: Docker, images, runtime_containers: dict[str, Started]
) -> None:
    image = _image(images, service, "runtime")
    config = json.loads(docker("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] == UID
    assert config["Entrypoint"] == ["python", "-m", service]
    assert f"{SERVICE_PORTS[service]}/tcp" in config["ExposedPorts"]
    assert config["Healthcheck"]["Test"][0] == "CMD"

    container = runtime_containers[service]
    _wait_for(docker, container.name, f"http://127.0.0.1:{container.port}/readyz")
    docker.timings["runtime containers ready (started together)"] = (
        time.monotonic() - container.started_at
    )
    status = docker("exec", container.name, "cat", "/proc/1/status").stdout
    assert "\nUid:\t10001\t" in status
    assert "CapEff:\t0000000000000000" in status
    assert "NoNewPrivs:\t1" in status
    # The server itself is PID 1 (the WSGI services' `python -m` execs gunicorn), so a SIGTERM
    # reaches it; it drains and exits instead of being killed when the grace period ends.
    command = docker("exec", container.name, "cat", "/proc/1/cmdline").stdout.split("\0")
    assert ("gunicorn" in command) == (service in WSGI), command
    docker("stop", "--time", "30", container.name, timeout=60)
    exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", container.name).stdout
    # uvicorn re-raises the SIGTERM it handled (143); 137 would mean SIGKILL.
    assert int(exit_code) in (0, 143), docker.logs(container.name)


def test_orders_image_runs_its_worker_and_its_migration(docker: Docker, images) -> None:
    image = _image(images, "orders", "runtime")
    migrate = docker(
        "run", "--rm", *HARDENED, "--env", "HOST=127.0.0.1", image, "migrate", timeout=180
    )
    assert migrate.returncode == 0
    port = _free_port()
    name = docker.run(
        f"polyshop-test-orders-worker-{uuid.uuid4().hex[:6]}",
        image,
        "worker",
        options=[*HARDENED, "--env", "HOST=127.0.0.1", "--env", f"WORKER_METRICS_PORT={port}"],
    )
    _wait_for(docker, name, f"http://127.0.0.1:{port}/metrics")
    docker("stop", "--time", "30", name, timeout=60)
    exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout
    assert int(exit_code) in (0, 143), docker.logs(name)


@pytest.fixture(scope="module")
def dev_containers(docker: Docker, images) -> dict[str, Started]:
    # As in the chart's dev values: the root filesystem is writable, for live update to write to.
    return _start_all(docker, images, DEV_SERVICES, "dev")


# Edits live update would sync, each changing what /api/info answers once the reloader has run:
# one to the kit, one to the service's own package (whose __init__ runs before its routes import
# service_info). Formatted with `marker`.
KIT_EDIT = """
_service_info_before_live_update = service_info


def service_info(settings, **kwargs):
    return {{**_service_info_before_live_update(settings, **kwargs), "version": "{marker}"}}
"""
SERVICE_EDIT = """
import polykit.info as _kit_info

_service_info_before_live_update = _kit_info.service_info


def _service_info_live(settings, **kwargs):
    return {{**_service_info_before_live_update(settings, **kwargs), "version": "{marker}"}}


_kit_info.service_info = _service_info_live
"""


@pytest.mark.parametrize("service", DEV_SERVICES)
def test_dev_image_reloads_code_synced_into_it(
    service: str, docker: Docker, images, dev_containers: dict[str, Started]
) -> None:
    _image(images, service, "dev")
    container = dev_containers[service]
    base_url = f"http://127.0.0.1:{container.port}"
    _wait_for(docker, container.name, f"{base_url}/readyz")
    # The code that runs is the code under the live-update paths (editable installs).
    where = docker(
        "exec",
        container.name,
        "python",
        "-c",
        f"import polykit, {service}; print(polykit.__file__); print({service}.__file__)",
    ).stdout.split()
    assert where == [
        "/app/libs/polykit/src/polykit/__init__.py",
        f"/app/services/{service}/src/{service}/__init__.py",
    ]
    # Live update writes as the app user: into /app, and into /opt/venv when it re-syncs.
    not_ours = docker("exec", container.name, "find", "/app", "/opt/venv", "!", "-user", "10001")
    assert not_ours.stdout == ""
    # What live update runs when uv.lock changes works, as the app user (here it changes nothing).
    docker(
        "exec", container.name, *f"uv sync --frozen --no-dev --package polyshop-{service}".split()
    )

    for edited, path, edit in (
        ("kit", "/app/libs/polykit/src/polykit/info.py", KIT_EDIT),
        (service, f"/app/services/{service}/src/{service}/__init__.py", SERVICE_EDIT),
    ):
        edited_at = time.monotonic()
        _edit_until_served(docker, container.name, base_url, path, edit)
        docker.timings[f"{service} reloaded {edited}"] = time.monotonic() - edited_at
    _wait_for(docker, container.name, f"{base_url}/readyz")


def _edit_until_served(docker: Docker, name: str, base_url: str, path: str, edit: str) -> None:
    """Appends the edit to a file in the container as its user, as Tilt's sync does, and waits
    for /api/info to show it. The reloaders take the files' times as their baseline on their
    first poll (0.25-1 s after a start), so an edit landing before that is seen only when the file
    is saved again: the file is touched again every few seconds, as a developer would save."""
    marker = f"live-{uuid.uuid4().hex[:8]}"
    docker(
        "exec",
        "--interactive",
        name,
        "sh",
        "-c",
        f"cat >> {path}",
        stdin=edit.format(marker=marker),
    )
    started = saved = time.monotonic()
    while True:
        status, body = _get(f"{base_url}/api/info")
        if status == 200 and json.loads(body).get("version") == marker:
            return
        if time.monotonic() > started + 60:
            pytest.fail(
                f"the reloader did not serve the edit of {path} within 60 s "
                f"(last answer {status}):\n{docker.logs(name)}"
            )
        if time.monotonic() > saved + 3:
            docker("exec", name, "touch", path)
            saved = time.monotonic()
        time.sleep(0.25)
