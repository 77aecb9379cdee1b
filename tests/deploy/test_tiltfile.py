"""The Tiltfile, executed without Tilt: a Starlark interpreter runs it with each of Tilt's builtins
replaced by a recorder that binds its arguments against the allow-list in tilt_api.py, so an
argument Tilt would refuse fails here. The recorded calls are then held to what `tilt up` needs:
every service built for the `dev` stage with a live update, deployed by the chart with its port
forwarded, every path it names present; and the recorded helm() call is rendered the way Tilt
renders it to check that the workloads, images and ports it configures are really in the chart.
Also here: `make kind` (scripts/kind.sh) with stub tools, and its ctlptl config.
"""

from __future__ import annotations

import importlib.util
import posixpath
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import starlark
import yaml

from polykit.settings import SERVICE_PORTS

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("tilt_api", Path(__file__).with_name("tilt_api.py"))
assert _spec is not None
assert _spec.loader is not None
tilt_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tilt_api)

# design.md's ports: the container, the Service and the local forward of each service.
PORTS = SERVICE_PORTS
KIND_CONTEXT = "kind-polyshop"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
# Tilt's rule for a resource label (docs.tilt.dev/api.html, k8s_resource `labels`).
LABEL = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Call:
    builtin: str
    args: dict[str, Any]


# ---------------------------------------------------------------------------------------------
# The interpreter


def _returns(call: Call) -> Any:
    """What a builtin hands back to the Tiltfile: real answers where the Tiltfile may branch on
    them, otherwise the call itself (a live_update step, a link, a YAML blob)."""
    args = call.args
    match call.builtin:
        case "k8s_context":
            return KIND_CONTEXT
        case "k8s_namespace":
            return "default"
        case "os.getcwd":
            return str(REPO)
        case "os.getenv":
            return args.get("default")
        case "os.path.exists":
            return (REPO / args["path"]).exists()
        case "os.path.join":
            return posixpath.join(args["path"], *args.get("paths", ()))
        case "os.path.basename":
            return posixpath.basename(args["path"])
        case "os.path.dirname":
            return posixpath.dirname(args["path"])
        case "os.path.abspath":
            return str(REPO / args["path"])
        case "os.path.relpath":
            return posixpath.relpath(args["targpath"], args.get("basepath") or str(REPO))
    return {"builtin": call.builtin, **{k: v for k, v in args.items() if v is not None}}


def _recorder(name: str, calls: list[Call]) -> Callable[..., Any]:
    builtin = tilt_api.BUILTINS[name]
    signature = builtin.signature()

    def record(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            accepted = ", ".join(builtin.params + builtin.keyword_only)
            raise TypeError(f"{name}(): {error} (Tilt's reference: {name}({accepted}))") from None
        call = Call(
            name, {k: list(v) if isinstance(v, tuple) else v for k, v in bound.arguments.items()}
        )
        calls.append(call)
        return _returns(call)

    return record


def _struct_source(tree: dict[str, Any]) -> str:
    fields = ", ".join(
        f"{key}={_struct_source(value) if isinstance(value, dict) else value}"
        for key, value in tree.items()
    )
    return f"struct({fields})"


def _refuse_load(module: str) -> starlark.FrozenModule:
    raise starlark.StarlarkError(
        f"the Tiltfile loads {module!r}: stub the extension in test_tiltfile.py first"
    )


def execute(source: str, filename: str = "Tiltfile") -> list[Call]:
    """Run Tiltfile source; every call to one of Tilt's builtins is recorded, in order."""
    calls: list[Call] = []
    # Tilt's Starlark (go.starlark.net) has no f-strings or type annotations: the standard
    # dialect refuses them here too. Top-level for/if are allowed in Tiltfiles.
    dialect = starlark.Dialect.standard()
    dialect.enable_top_level_stmt = True
    module = starlark.Module()
    modules: dict[str, Any] = {}
    for name in tilt_api.BUILTINS:
        if "." not in name:
            module.add_callable(name, _recorder(name, calls))
            continue
        private = "_" + name.replace(".", "_")
        module.add_callable(private, _recorder(name, calls))
        *parents, leaf = name.split(".")
        node = modules
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = private
    for constant in tilt_api.CONSTANTS:
        module[constant] = constant
    globals_ = starlark.Globals.extended_by(
        [starlark.LibraryExtension.StructType, starlark.LibraryExtension.Print]
    )
    prelude = "\n".join(f"{name} = {_struct_source(tree)}" for name, tree in modules.items())
    starlark.eval(module, starlark.parse("prelude", prelude, dialect), globals_)
    ast = starlark.parse(filename, source, dialect)
    starlark.eval(module, ast, globals_, starlark.FileLoader(_refuse_load))
    return calls


@pytest.fixture(scope="module")
def calls() -> list[Call]:
    return execute((REPO / "Tiltfile").read_text(), str(REPO / "Tiltfile"))


def _of(calls: list[Call], builtin: str) -> list[Call]:
    return [call for call in calls if call.builtin == builtin]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _builds(calls: list[Call]) -> dict[str, Call]:
    return {call.args["ref"]: call for call in _of(calls, "docker_build")}


def _resources(calls: list[Call]) -> dict[str, Call]:
    return {
        call.args.get("new_name") or call.args["workload"]: call
        for call in _of(calls, "k8s_resource")
    }


def _steps(build: Call, kind: str) -> list[dict[str, Any]]:
    return [step for step in build.args.get("live_update") or [] if step["builtin"] == kind]


def _under(path: str, folder: str) -> bool:
    path, folder = path.rstrip("/"), folder.rstrip("/")
    return folder in (".", "") or path == folder or path.startswith(folder + "/")


def _container_port(forward: Any) -> int:
    """The container side of a port forward, in any of the forms k8s_resource accepts."""
    if isinstance(forward, dict):
        return int(forward.get("container_port") or forward["local_port"])
    return int(str(forward).rsplit(":", 1)[-1])


def _local_port(forward: Any) -> int:
    if isinstance(forward, dict):
        return int(forward["local_port"])
    parts = str(forward).split(":")
    return int(parts[-2] if len(parts) > 1 else parts[0])


# ---------------------------------------------------------------------------------------------
# What the Tiltfile declares


@pytest.mark.parametrize("service", PORTS)
def test_every_service_is_built_for_dev_with_a_live_update_of_its_code_and_the_kit(
    calls: list[Call], service: str
) -> None:
    build = _builds(calls)[f"polyshop/{service}"]
    assert build.args["context"] == "."
    assert build.args["dockerfile"] == f"services/{service}/Dockerfile"
    assert build.args["target"] == "dev"
    synced = {step["local_path"]: step["remote_path"] for step in _steps(build, "sync")}
    src, kit = f"services/{service}/src", "libs/polykit/src"
    # Paths inside the dev image, per the images' contract (/work/k8s-contract.md).
    assert synced.get(src) == f"/app/{src}"
    assert synced.get(kit) == f"/app/{kit}"
    for local in synced:
        assert (REPO / local).exists(), f"{service}: live_update syncs {local}, which is missing"
    # Nothing restarts the container: the dev image's reloader picks the synced files up.
    assert not _steps(build, "restart_container")


@pytest.mark.parametrize("service", PORTS)
def test_dependencies_are_resynced_when_the_lock_changes(calls: list[Call], service: str) -> None:
    (run,) = _steps(_builds(calls)[f"polyshop/{service}"], "run")
    assert f"uv sync --frozen --no-dev --package polyshop-{service}" in run["cmd"]
    triggers = _as_list(run.get("trigger"))
    assert "uv.lock" in triggers
    assert f"services/{service}/pyproject.toml" in triggers


@pytest.mark.parametrize("service", PORTS)
def test_live_updates_keep_tilts_rules(calls: list[Call], service: str) -> None:
    """The rules of docs.tilt.dev/live_update_reference.html that Tilt checks only at `tilt up`
    (or, worse, silently): syncs first, absolute destinations, a run's triggers among the synced
    files (else it never fires), and synced files inside `only` (else no change is ever seen)."""
    build = _builds(calls)[f"polyshop/{service}"]
    kinds = [step["builtin"] for step in build.args["live_update"]]
    assert kinds == sorted(kinds, key=lambda kind: kind != "sync"), "a sync follows a run"
    syncs = _steps(build, "sync")
    only = _as_list(build.args.get("only"))
    for step in syncs:
        assert step["remote_path"].startswith("/")
        assert any(_under(step["local_path"], entry) for entry in only), step["local_path"]
    for run in _steps(build, "run"):
        for trigger in _as_list(run.get("trigger")):
            assert any(_under(trigger, step["local_path"]) for step in syncs), trigger


@pytest.mark.parametrize("service", PORTS)
def test_one_services_edit_rebuilds_only_its_own_image(calls: list[Call], service: str) -> None:
    only = _as_list(_builds(calls)[f"polyshop/{service}"].args.get("only"))
    assert only, "no only=: every file in the repository would rebuild every image"
    others = [f"services/{other}/src" for other in PORTS if other != service]
    assert not [entry for entry in only if any(_under(other, entry) for other in others)]
    # What the dev image's `uv sync --frozen --package` reads (services/<name>/Dockerfile).
    workspace = [
        "uv.lock",
        "pyproject.toml",
        "libs/polykit/pyproject.toml",
        f"services/{service}/pyproject.toml",
    ]
    assert [path for path in workspace if not any(_under(path, entry) for entry in only)] == []


@pytest.mark.parametrize("service", PORTS)
def test_every_service_is_deployed_with_its_port_forwarded(calls: list[Call], service: str) -> None:
    resource = _resources(calls)[service]
    assert resource.args["workload"] == f"polyshop-{service}"
    forwards = _as_list(resource.args.get("port_forwards"))
    assert [(_local_port(f), _container_port(f)) for f in forwards][:1] == [
        (PORTS[service], PORTS[service])
    ]
    labels = _as_list(resource.args.get("labels"))
    assert labels
    assert all(LABEL.match(label) for label in labels)


def test_the_worker_and_the_stores_are_resources_too(calls: list[Call]) -> None:
    resources = _resources(calls)
    for name in ("orders-worker", "postgresql", "redis"):
        assert resources[name].args["workload"] == f"polyshop-{name}"
    assert _as_list(resources["postgresql"].args["labels"]) == ["stores"]
    assert _as_list(resources["redis"].args["labels"]) == ["stores"]
    for name, resource in resources.items():
        for dep in _as_list(resource.args.get("resource_deps")):
            assert dep in resources, f"{name} waits for {dep}, which is no resource"


def test_the_load_generator_is_built_and_its_web_ui_forwarded(calls: list[Call]) -> None:
    build = _builds(calls)["polyshop/loadgen"]
    assert build.args["dockerfile"] == "loadgen/Dockerfile"
    # Locust cannot reload: no live update, an edit rebuilds the image.
    assert not build.args.get("live_update")
    only = _as_list(build.args.get("only"))
    others = [f"services/{service}" for service in PORTS] + ["libs/polykit"]
    assert not [entry for entry in only if any(_under(other, entry) for other in others)]
    for op, arguments in _instructions(REPO / "loadgen" / "Dockerfile"):
        for source in _context_sources(op, arguments):
            assert any(_under(source, entry) for entry in only), f"{source} is not in only="
    resource = _resources(calls)["loadgen"]
    assert resource.args["workload"] == "polyshop-loadgen"
    forwards = _as_list(resource.args["port_forwards"])
    assert [(_local_port(f), _container_port(f)) for f in forwards] == [(8089, 8089)]
    links = [link["url"] for link in _as_list(resource.args.get("links"))]
    assert links == ["http://127.0.0.1:8089/"]
    # It shops once the services it calls are up, not against a half-started store.
    assert {"storefront", "orders", "users"} <= set(_as_list(resource.args["resource_deps"]))


# The monitoring stack dev-values.yaml turns on: forwarded on its usual ports, linked, grouped.
OBSERVABILITY_FORWARDS = {"grafana": 3000, "prometheus": 9090, "jaeger": 16686}


def test_grafana_prometheus_and_jaeger_are_forwarded_and_linked(calls: list[Call]) -> None:
    resources = _resources(calls)
    for name, port in OBSERVABILITY_FORWARDS.items():
        resource = resources[name]
        assert resource.args["workload"] == f"polyshop-{name}"
        forwards = _as_list(resource.args["port_forwards"])
        assert [(_local_port(f), _container_port(f)) for f in forwards] == [(port, port)]
        assert _as_list(resource.args["labels"]) == ["observability"]
        links = [link["url"] for link in _as_list(resource.args.get("links"))]
        assert links, f"{name}: no link in Tilt's UI"
        assert all(url.startswith(f"http://127.0.0.1:{port}/") for url in links), links
    collector = resources["otel-collector"]
    assert _as_list(collector.args["labels"]) == ["observability"]
    assert not _as_list(collector.args.get("port_forwards"))
    assert {"prometheus", "jaeger"} <= set(_as_list(resources["grafana"].args["resource_deps"]))


def test_the_chart_is_deployed_with_the_dev_values(calls: list[Call]) -> None:
    (deploy,) = _of(calls, "k8s_yaml")
    chart = deploy.args["yaml"]
    assert chart["builtin"] == "helm"
    assert chart["pathToChartDir"] == "helm/polyshop"
    assert chart["name"] == "polyshop"
    assert chart["namespace"] == "polyshop"
    assert _as_list(chart["values"]) == ["helm/polyshop/ci/dev-values.yaml"]


def test_the_end_to_end_suite_runs_by_hand_through_the_forwards(calls: list[Call]) -> None:
    (e2e,) = _of(calls, "local_resource")
    assert e2e.args["trigger_mode"] == "TRIGGER_MODE_MANUAL"
    assert e2e.args["auto_init"] is False
    assert "make test-e2e" in e2e.args["cmd"]
    # The suite reads <NAME>_URL (tests/e2e/e2e/matrix.py); STOREFRONT_URL makes it test this
    # store instead of starting its own.
    env = e2e.args["env"]
    assert env == {
        f"{name.upper()}_URL": f"http://127.0.0.1:{port}" for name, port in PORTS.items()
    }
    assert set(PORTS) <= set(_as_list(e2e.args["resource_deps"]))


def test_only_the_kind_clusters_context_is_allowed(calls: list[Call]) -> None:
    (allow,) = _of(calls, "allow_k8s_contexts")
    assert _as_list(allow.args["contexts"]) == [KIND_CONTEXT]
    # Tilt finds ctlptl's (or kind's recipe's) registry in the cluster; a default_registry()
    # would override that and break other clusters.
    assert not _of(calls, "default_registry")
    (settings,) = _of(calls, "update_settings")
    assert 1 <= settings.args["max_parallel_updates"] <= 2


def _named_paths(calls: list[Call]) -> Iterator[tuple[str, str]]:
    for call in calls:
        args = call.args
        match call.builtin:
            case "docker_build":
                yield "docker_build context", args["context"]
                yield (
                    "Dockerfile",
                    args.get("dockerfile") or posixpath.join(args["context"], "Dockerfile"),
                )
                for entry in _as_list(args.get("only")):
                    yield "docker_build only=", posixpath.join(args["context"], entry)
                for step in args.get("live_update") or []:
                    if step["builtin"] == "sync":
                        yield "live_update sync", step["local_path"]
                    for trigger in _as_list(step.get("trigger")):
                        yield "live_update run trigger", trigger
            case "helm":
                yield "helm chart", args["pathToChartDir"]
                for values in _as_list(args.get("values")):
                    yield "helm values", values
            case "k8s_yaml" if isinstance(args["yaml"], str | list):
                for path in _as_list(args["yaml"]):
                    yield "k8s_yaml", path
            case "local_resource":
                for dep in _as_list(args.get("deps")):
                    yield "local_resource deps", dep
            case "read_file" | "read_yaml" | "read_json" | "watch_file" | "kustomize":
                yield call.builtin, next(iter(args.values()))


def test_every_path_the_tiltfile_names_exists(calls: list[Call]) -> None:
    named = _named_paths(calls)
    missing = sorted({f"{what}: {path}" for what, path in named if not (REPO / path).exists()})
    assert not missing, "the Tiltfile names paths that are not there:\n" + "\n".join(missing)


# ---------------------------------------------------------------------------------------------
# The allow-list bites


@pytest.mark.parametrize(
    ("snippet", "wrong"),
    [
        ("docker_build('polyshop/cart', '.', dockerfil='services/cart/Dockerfile')", "dockerfil"),
        ("k8s_resource('polyshop-cart', port_forward=[8002])", "port_forward"),
        (
            "docker_build('polyshop/cart', '.', live_update=[run('uv', triggers=['uv.lock'])])",
            "triggers",
        ),
        (
            "local_resource('e2e', cmd='make test-e2e', autoinit=False)",
            "autoinit",
        ),
        ("k8s_yaml(helm('helm/polyshop', value=['x.yaml']))", "value"),
        ("sync('a')", "remote_path"),
    ],
)
def test_an_argument_tilt_would_refuse_fails(snippet: str, wrong: str) -> None:
    with pytest.raises(starlark.StarlarkError, match=wrong):
        execute(snippet, "snippet")


def test_a_builtin_tilt_does_not_have_fails() -> None:
    with pytest.raises(starlark.StarlarkError, match="k8s_resources"):
        execute("k8s_resources('polyshop-cart')", "snippet")


def test_starlark_that_tilts_interpreter_lacks_fails() -> None:
    # starlark-rust (here) and go.starlark.net (Tilt) differ; `while` and set() are the usual trap.
    with pytest.raises(starlark.StarlarkError):
        execute("x = 0\nwhile x < 1:\n    x += 1\n", "snippet")
    with pytest.raises(starlark.StarlarkError):
        execute("s = set(['a'])", "snippet")


def test_an_extension_is_not_loaded_unless_stubbed_here() -> None:
    with pytest.raises(starlark.StarlarkError, match="restart_process"):
        execute("load('ext://restart_process', 'docker_build_with_restart')", "snippet")


def test_dotted_modules_are_recorded_too() -> None:
    recorded = execute("x = os.path.join('helm', 'polyshop')\nos.getenv('HOME', 'none')", "snippet")
    assert [call.builtin for call in recorded] == ["os.path.join", "os.getenv"]
    with pytest.raises(starlark.StarlarkError, match="defaults"):
        execute("os.getenv('HOME', defaults='x')", "snippet")


# ---------------------------------------------------------------------------------------------
# The Tiltfile against the Dockerfiles and the chart it builds and deploys


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = (line.strip() for line in text.splitlines())
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.split(None, 1) for line in lines if line and not line.startswith("#"))
    ]


def _context_sources(op: str, arguments: str) -> list[str]:
    """What a COPY/ADD (not --from another stage) or a RUN --mount=type=bind reads from the
    build context."""
    if op == "RUN":
        mounts = [
            dict(o.split("=", 1) for o in m.split(",") if "=" in o)
            for m in re.findall(r"--mount=(\S+)", arguments)
        ]
        return [m.get("source", ".") for m in mounts if m.get("type") == "bind" and "from" not in m]
    if op not in {"COPY", "ADD"}:
        return []
    words = (
        yaml.safe_load(arguments) if arguments.lstrip().startswith("[") else shlex.split(arguments)
    )
    if any(word.startswith("--from") for word in words):
        return []
    return [word for word in words if not word.startswith("--")][:-1]


def _stage_env(instructions: list[tuple[str, str]], target: str) -> str:
    """The ENV in effect in stage `target`: its own and that of the stages it is built FROM."""
    env: dict[str, list[str]] = {}
    base: dict[str, str] = {}
    stage = ""
    for op, args in instructions:
        if op == "FROM":
            words = args.split()
            stage = words[-1].lower() if len(words) > 2 and words[-2].lower() == "as" else ""
            base[stage] = words[0].lower()
        elif op == "ENV":
            env.setdefault(stage, []).append(args)
    lines: list[str] = []
    while target in base:
        lines += env.get(target, [])
        target = base.pop(target)
    return " ".join(lines)


@pytest.mark.parametrize("service", PORTS)
def test_the_dockerfile_has_the_dev_stage_and_everything_it_copies_is_in_only(
    calls: list[Call], service: str
) -> None:
    build = _builds(calls)[f"polyshop/{service}"]
    dockerfile = REPO / build.args["dockerfile"]
    assert dockerfile.exists(), f"{dockerfile.relative_to(REPO)} is not there yet"
    instructions = _instructions(dockerfile)
    # The reloader is what makes a synced file take effect without a restart_container().
    assert re.search(r"\bRELOAD=true\b", _stage_env(instructions, "dev")), "no dev stage reloading"
    only = _as_list(build.args.get("only"))
    ignored = [entry for entry in _as_list(build.args.get("ignore")) if "*" not in entry]
    outside = []
    for op, args in instructions:
        for source in _context_sources(op, args):
            matches = [str(p.relative_to(REPO)) for p in REPO.glob(source.lstrip("/"))] or [source]
            outside += [
                path
                for path in matches
                if not any(_under(path, entry) or _under(entry, path) for entry in only)
                or any(_under(path, entry) for entry in ignored)
            ]
    assert outside == [], "read from the build context but left out by only= or ignore="


def _render(helm: str, call: Call) -> str:
    """helm template the way Tilt's helm() runs it (internal/tiltfile/helm.go)."""
    args = call.args
    command = [
        helm,
        "template",
        args.get("name") or "chart",
        args["pathToChartDir"],
        "--include-crds",
    ]
    if args.get("namespace"):
        command += ["--namespace", args["namespace"]]
    for values in _as_list(args.get("values")):
        command += ["--values", values]
    for value in _as_list(args.get("set")):
        command += ["--set", value]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rendered(calls: list[Call], helm: str) -> tuple[str, list[dict[str, Any]]]:
    chart = REPO / "helm" / "polyshop"
    if not (chart / "Chart.yaml").exists():
        pytest.fail("helm/polyshop/Chart.yaml is not there yet: the chart has not landed")
    (call,) = _of(calls, "helm")
    text = _render(helm, call)
    return text, [doc for doc in yaml.safe_load_all(text) if doc]


def _image_repository(image: str) -> str:
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return name.removeprefix("docker.io/")


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload.get("spec", {})
    if workload["kind"] == "Pod":
        return spec
    if workload["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return spec["template"]["spec"]


def test_the_resources_name_workloads_the_chart_renders(
    calls: list[Call], rendered: tuple[str, list[dict[str, Any]]]
) -> None:
    workloads = {
        doc["metadata"]["name"] for doc in rendered[1] if doc.get("kind") in WORKLOAD_KINDS
    }
    wanted = {call.args["workload"] for call in _of(calls, "k8s_resource")}
    assert sorted(wanted - workloads) == [], "k8s_resource() would fail: no such workload"


def test_each_built_image_is_run_by_its_workload_on_the_forwarded_port(
    calls: list[Call], rendered: tuple[str, list[dict[str, Any]]]
) -> None:
    workloads = {
        doc["metadata"]["name"]: _pod_spec(doc)
        for doc in rendered[1]
        if doc.get("kind") in WORKLOAD_KINDS
    }
    problems = []
    for name, resource in _resources(calls).items():
        pod = workloads.get(resource.args["workload"])
        if pod is None:
            continue  # reported by the test above
        containers = pod.get("containers", [])
        images = {_image_repository(c["image"]) for c in containers + pod.get("initContainers", [])}
        ports = {p["containerPort"] for c in containers for p in c.get("ports", [])}
        built = "polyshop/orders" if name == "orders-worker" else f"polyshop/{name}"
        if (name in PORTS or name in {"orders-worker", "loadgen"}) and built not in images:
            problems.append(f"{name}: runs {sorted(images)}, Tilt builds {built}")
        for forward in _as_list(resource.args.get("port_forwards")):
            if _container_port(forward) not in ports:
                problems.append(f"{name}: forwards {forward}, container ports {sorted(ports)}")
    assert problems == []


def test_live_update_can_write_into_the_dev_containers(
    calls: list[Call], rendered: tuple[str, list[dict[str, Any]]]
) -> None:
    # Images rebuilt rather than live-updated (the load generator's) keep a read-only root.
    built = {ref for ref, build in _builds(calls).items() if build.args.get("live_update")}
    read_only = [
        f"{doc['metadata']['name']}/{container['name']}"
        for doc in rendered[1]
        if doc.get("kind") in WORKLOAD_KINDS
        for container in _pod_spec(doc).get("containers", [])
        if _image_repository(container["image"]) in built
        and (container.get("securityContext") or {}).get("readOnlyRootFilesystem")
    ]
    assert read_only == [], "dev-values.yaml must make the app containers' root writable for sync"


def test_the_rendering_is_the_same_every_time_tilt_loads_the_tiltfile(
    calls: list[Call], helm: str, rendered: tuple[str, list[dict[str, Any]]]
) -> None:
    # Tilt runs helm() again at every Tiltfile change, and `helm template` has no cluster to
    # lookup() existing Secrets in: random passwords would rotate under a running database.
    (call,) = _of(calls, "helm")
    assert _render(helm, call) == rendered[0], "dev-values.yaml must pin every generated secret"


# ---------------------------------------------------------------------------------------------
# make kind


def test_the_ctlptl_config_declares_the_registry_and_the_allowed_cluster() -> None:
    docs = list(yaml.safe_load_all((REPO / "kind" / "cluster.yaml").read_text()))
    (registry,) = [doc for doc in docs if doc["kind"] == "Registry"]
    (cluster,) = [doc for doc in docs if doc["kind"] == "Cluster"]
    assert {doc["apiVersion"] for doc in docs} == {"ctlptl.dev/v1alpha1"}
    assert cluster["product"] == "kind"
    assert cluster["registry"] == registry["name"]
    assert cluster["name"] == KIND_CONTEXT


_STUBS = {
    "docker": """
case "$1" in
  info) ;;
  inspect)
    if [[ "$*" == *State.Running* ]]; then [[ -f "$STATE/registry" ]] && echo true || exit 1
    elif [[ -f "$STATE/network" ]]; then echo '{}'; else echo null; fi ;;
  run) : > "$STATE/registry" ;;
  network) : > "$STATE/network" ;;
  exec) [[ "$2" == -i ]] && while read -r _; do :; done ;;
esac
""",
    "kind": """
case "$1 $2" in
  "get clusters") [[ -f "$STATE/cluster" ]] && echo polyshop ;;
  "create cluster") while read -r _; do :; done; : > "$STATE/cluster" ;;
  "get nodes") echo polyshop-control-plane ;;
esac
""",
    "kubectl": """
[[ "$*" == *"-f -"* ]] && while IFS= read -r line; do echo "  | $line" >> "$STATE/log"; done
[[ "$*" == *--dry-run* ]] && echo "kind: Namespace"
""",
    "ctlptl": "",
}


def _make_kind(
    tmp_path: Path, tools: list[str]
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run scripts/kind.sh with only `tools` on PATH, as stubs that log their arguments."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir(exist_ok=True)
    state.mkdir(exist_ok=True)
    for tool in tools:
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/bash\necho "{tool} $*" >> "$STATE/log"\n{_STUBS[tool]}\nexit 0\n')
        stub.chmod(0o755)
    done = subprocess.run(
        ["/bin/bash", str(REPO / "scripts" / "kind.sh")],
        env={"PATH": str(bin_dir), "STATE": str(state)},
        capture_output=True,
        text=True,
        check=False,
    )
    log = state / "log"
    return done, log.read_text().splitlines() if log.exists() else []


def test_make_kind_says_what_is_missing_and_where_to_get_it(tmp_path: Path) -> None:
    done, _ = _make_kind(tmp_path, [])
    assert done.returncode != 0
    for tool, url in [
        ("docker", "docs.docker.com"),
        ("kind", "kind.sigs.k8s.io"),
        ("kubectl", "kubernetes.io"),
        ("ctlptl", "tilt-dev/ctlptl"),
    ]:
        assert tool in done.stderr
        assert url in done.stderr


def test_make_kind_applies_the_ctlptl_config_when_ctlptl_is_there(tmp_path: Path) -> None:
    done, log = _make_kind(tmp_path, ["docker", "kind", "kubectl", "ctlptl"])
    assert done.returncode == 0, done.stderr
    assert "ctlptl apply -f kind/cluster.yaml" in log
    assert not [line for line in log if line.startswith("kind create")]
    assert (
        f"kubectl --context {KIND_CONTEXT} create namespace polyshop --dry-run=client -o yaml"
        in log
    )


def test_make_kind_without_ctlptl_follows_kinds_recipe_once(tmp_path: Path) -> None:
    first, log = _make_kind(tmp_path, ["docker", "kind", "kubectl"])
    assert first.returncode == 0, first.stderr
    again, log = _make_kind(tmp_path, ["docker", "kind", "kubectl"])
    assert again.returncode == 0, again.stderr
    assert (
        len([line for line in log if line.startswith("kind create cluster --name polyshop")]) == 1
    )
    assert len([line for line in log if line.startswith("docker run")]) == 1
    assert len([line for line in log if line.startswith("docker network connect kind")]) == 1
    # Documented in the cluster on every run (KEP-1755): how Tilt finds where to push.
    assert log.count("  |   name: local-registry-hosting") == 2
    assert log.count('  |     host: "localhost:5001"') == 2
