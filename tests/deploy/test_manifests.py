"""k8s/: the chart rendered by `make manifests`, in sync with it, holding no secret, and built by
kustomize into the whole store once k8s/make-secrets.sh has written the Secret's source."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from polykit.testing import skip_or_fail
from tests.deploy import rendering as r

K8S = r.REPO / "k8s"
RENDER = r.REPO / "scripts" / "render_manifests.py"
SECRET = "polyshop-secrets"


def _render_manifests(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RENDER), *args], capture_output=True, text=True, cwd=r.REPO
    )


@pytest.fixture(scope="module")
def kubectl(helm: str) -> str:
    # scripts/tools.sh installs kubectl beside helm; a helm from PATH comes with its own kubectl.
    beside = Path(helm).parent.parent / "kubectl" / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if not found:
        skip_or_fail("no kubectl: run `scripts/tools.sh helm`, which installs it into .tools/k8s/")
    return str(found)


def _documents(directory: Path) -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(directory.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def test_k8s_is_in_sync_with_the_chart() -> None:
    done = _render_manifests("--check")
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"


def test_the_check_shows_what_drifted(tmp_path: Path) -> None:
    assert _render_manifests("--out", str(tmp_path)).returncode == 0
    assert _render_manifests("--check", "--out", str(tmp_path)).returncode == 0
    cart = tmp_path / "cart.yaml"
    cart.write_text(cart.read_text().replace("replicas: 1", "replicas: 3"))
    (tmp_path / "payments.yaml").unlink()
    (tmp_path / "left-over.yaml").write_text("kind: ConfigMap\n")
    done = _render_manifests("--check", "--out", str(tmp_path))
    assert done.returncode == 1
    assert "-  replicas: 3\n+  replicas: 1" in done.stdout
    assert "+++ k8s/payments.yaml (from the chart)" in done.stdout
    assert "--- k8s/left-over.yaml" in done.stdout
    assert "run `make manifests`" in done.stderr


def test_k8s_is_the_default_values_reading_an_existing_secret(helm: str) -> None:
    committed = _documents(K8S)
    rendered = r.render(helm, "default", "--set", f"secrets.existingSecret={SECRET}")
    key = lambda doc: (doc["kind"], doc["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, committed)) == sorted([*map(key, rendered), ("Namespace", "polyshop")])


def test_k8s_holds_no_secret_data() -> None:
    for path in [*K8S.glob("*.yaml"), K8S / "make-secrets.sh"]:
        text = path.read_text()
        assert "PRIVATE KEY" not in text, path
        if path.suffix == ".yaml":
            kinds = {doc.get("kind") for doc in yaml.safe_load_all(text) if doc}
            assert "Secret" not in kinds, f"{path.name} holds a Secret"
    tracked = subprocess.run(
        ["git", "ls-files", "k8s"], capture_output=True, text=True, cwd=r.REPO, check=True
    ).stdout.split()
    assert "k8s/secrets.env" not in tracked
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "k8s/secrets.env"], cwd=r.REPO, check=False
    )
    assert ignored.returncode == 0, "k8s/secrets.env must be git-ignored"


def test_the_namespace_enforces_the_restricted_profile() -> None:
    (namespace,) = yaml.safe_load_all((K8S / "namespace.yaml").read_text())
    assert namespace["metadata"]["name"] == "polyshop"
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["resources"][0] == "namespace.yaml"
    assert sorted(kustomization["resources"]) == sorted(
        path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml"
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, kubectl: str) -> list[dict[str, Any]]:
    """`k8s/make-secrets.sh && kubectl kustomize k8s/`, in a copy of k8s/."""
    if not shutil.which("openssl"):
        skip_or_fail("make-secrets.sh needs openssl (apt-get install openssl)")
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets.env"))
    made = subprocess.run([str(copy / "make-secrets.sh")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    done = subprocess.run([kubectl, "kustomize", str(copy)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_kustomize_builds_the_store_with_its_secret(built: list[dict[str, Any]]) -> None:
    secrets = [doc for doc in built if doc["kind"] == "Secret"]
    (secret,) = secrets
    name = secret["metadata"]["name"]
    assert name.startswith(f"{SECRET}-"), "the generated Secret's name carries a content hash"
    referenced = set()
    for doc in built:
        assert doc["metadata"].get("namespace", "polyshop") == "polyshop", doc["metadata"]["name"]
        if doc["kind"] not in {"Deployment", "StatefulSet"}:
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for item in container.get("env", []):
                reference = item.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    assert reference["name"] == name, "kustomize renames every reference"
                    referenced.add(reference["key"])
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] == name
                referenced |= {item["key"] for item in volume["secret"]["items"]}
    assert set(secret["data"]) == referenced
    workloads = {doc["metadata"]["name"] for doc in built if doc["kind"] == "Deployment"}
    assert {f"polyshop-{name}" for name in r.WORKLOADS} <= workloads


def test_make_secrets_writes_every_key_the_chart_would_generate(
    built: list[dict[str, Any]], helm: str
) -> None:
    (secret,) = [doc for doc in built if doc["kind"] == "Secret"]
    data = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    done = r.helm_template(helm, "--show-only", "templates/secret.yaml")
    assert done.returncode == 0, done.stderr
    chart_keys = set(yaml.safe_load(done.stdout)["data"])
    assert set(data) == chart_keys
    # One line in an env file: users turns the literal \n back into line breaks.
    pem = data["jwt-private-key"]
    assert "\n" not in pem
    key = load_pem_private_key(pem.replace("\\n", "\n").encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    for name, value in data.items():
        if name != "jwt-private-key":
            assert len(value) >= 32, name


def test_make_secrets_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "secrets.env"
    target.write_text("postgres-password=the-one-the-database-has\n")
    done = subprocess.run(
        [str(K8S / "make-secrets.sh"), str(target)], capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "exists" in done.stderr
    assert target.read_text() == "postgres-password=the-one-the-database-has\n"
