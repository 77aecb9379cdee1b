"""Render k8s/ from the Helm chart: what `make manifests` runs, and with `--check` what CI runs.

k8s/ is `helm template` of helm/polyshop with its default values, except that the chart reads the
Secret `polyshop-secrets` instead of generating one (no secret ever lands in the repository):
k8s/kustomization.yaml builds that Secret from the git-ignored k8s/secrets.env, which
k8s/make-secrets.sh writes. One file per component (storefront.yaml, postgresql.yaml, ...), so a
reader finds a service's whole shape in one place; release-wide objects go to polyshop.yaml.

    python scripts/render_manifests.py          # rewrite k8s/
    python scripts/render_manifests.py --check  # exit 1 with a diff when k8s/ is out of date
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "helm" / "polyshop"
OUT = REPO / "k8s"
RELEASE = NAMESPACE = "polyshop"
SECRET = "polyshop-secrets"  # noqa: S105 (a Secret's name, not its content)
# Written by hand, next to the generated files: never removed as stale.
KEPT = {"make-secrets.sh", "secrets.env", "README.md"}

HEADER = """\
# {what}: rendered from helm/polyshop by `make manifests` (scripts/render_manifests.py).
# Do not edit: change the chart and re-render. Default values, except
# secrets.existingSecret={secret} (kustomization.yaml makes it from secrets.env).
"""
# Within a file, the order a reader wants: who it runs as, what it runs, how it is reached and
# protected (helm prints the install order instead).
KIND_ORDER = [
    "ServiceAccount",
    "ConfigMap",
    "Deployment",
    "StatefulSet",
    "Service",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
    "Ingress",
]

NAMESPACE_YAML = f"""\
# The namespace polyshop runs in, enforcing the restricted Pod Security Standard (every pod of the
# chart meets it): a pod that asks for root, privilege escalation or host access is refused.
# Rendered by `make manifests` (scripts/render_manifests.py).
apiVersion: v1
kind: Namespace
metadata:
  name: {NAMESPACE}
  labels:
    app.kubernetes.io/name: polyshop
    app.kubernetes.io/part-of: polyshop
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: restricted
"""

KUSTOMIZATION = """\
# `kubectl apply -k k8s/` deploys polyshop without Helm: the chart's rendering plus the Secret it
# reads, generated from secrets.env (git-ignored; `k8s/make-secrets.sh` writes it once).
# Rendered by `make manifests` (scripts/render_manifests.py); do not edit.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {namespace}
resources:
{resources}
secretGenerator:
  # The name gets a hash of the content: editing secrets.env rolls every pod that reads it.
  - name: {secret}
    envs: [secrets.env]
    type: Opaque
"""


def helm() -> str:
    done = subprocess.run(  # noqa: S603 (our own script)
        [str(REPO / "scripts" / "tools.sh"), "helm"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"cannot get helm:\n{done.stderr}")
    return done.stdout.strip()


def render_chart() -> str:
    command = [
        helm(),
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--set",
        f"secrets.existingSecret={SECRET}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"helm template failed:\n{done.stderr}")
    return done.stdout


def split_documents(rendered: str) -> list[tuple[dict, str]]:
    """Each object with its text as helm printed it (the `# Source:` line and the chart's
    comments stay: they tell a reader which template to edit)."""
    documents = []
    for chunk in rendered.split("\n---\n"):
        text = chunk.removeprefix("---\n").strip("\n")
        body = yaml.safe_load(text)
        if body:
            documents.append((body, text))
    return documents


def manifests() -> dict[str, str]:
    """k8s/'s files by name, as they should be."""
    groups: dict[str, list[str]] = {}
    documents = split_documents(render_chart())
    documents.sort(key=lambda document: KIND_ORDER.index(document[0]["kind"]))
    for body, text in documents:
        if body["kind"] == "Secret":
            sys.exit("the rendering holds a Secret: secrets.existingSecret did not apply")
        name = body["metadata"]["labels"]["app.kubernetes.io/name"]
        groups.setdefault(f"{name}.yaml", []).append(text)
    files = {
        filename: HEADER.format(what=filename.removesuffix(".yaml"), secret=SECRET)
        + "---\n".join(text + "\n" for text in texts)
        for filename, texts in sorted(groups.items())
    }
    files["namespace.yaml"] = NAMESPACE_YAML
    resources = ["namespace.yaml", *sorted(name for name in files if name != "namespace.yaml")]
    files["kustomization.yaml"] = KUSTOMIZATION.format(
        namespace=NAMESPACE,
        resources="\n".join(f"  - {name}" for name in resources),
        secret=SECRET,
    )
    return files


def current(out: Path) -> dict[str, str]:
    if not out.is_dir():
        return {}
    return {
        path.name: path.read_text()
        for path in sorted(out.iterdir())
        if path.is_file() and path.name not in KEPT
    }


def check(wanted: dict[str, str], out: Path) -> int:
    have = current(out)
    diff: list[str] = []
    for name in sorted(wanted.keys() | have.keys()):
        diff.extend(
            difflib.unified_diff(
                have.get(name, "").splitlines(keepends=True),
                wanted.get(name, "").splitlines(keepends=True),
                fromfile=f"k8s/{name}" if name in have else "/dev/null",
                tofile=f"k8s/{name} (from the chart)" if name in wanted else "/dev/null",
            )
        )
    if diff:
        sys.stdout.writelines(diff)
        print(f"\n{out} is out of date with helm/polyshop: run `make manifests`.", file=sys.stderr)
        return 1
    print(f"{out} matches helm/polyshop.")
    return 0


def write(wanted: dict[str, str], out: Path) -> None:
    out.mkdir(exist_ok=True)
    for name in current(out).keys() - wanted.keys():
        (out / name).unlink()
    for name, text in wanted.items():
        (out / name).write_text(text)
    print(f"wrote {len(wanted)} files to {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff if k8s/ is stale")
    parser.add_argument("--out", type=Path, default=OUT, help="instead of k8s/ (for tests)")
    args = parser.parse_args()
    wanted = manifests()
    if args.check:
        return check(wanted, args.out)
    write(wanted, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
