"""Tilt's Tiltfile builtins and the arguments each accepts: the allow-list test_tiltfile.py holds
every call of the Tiltfile to, so a misspelled keyword fails here rather than at `tilt up`.

Source: Tilt's API reference, https://docs.tilt.dev/api.html, generated from tilt-dev/tilt
`internal/tiltfile/api/__init__.py` (and `api/os/`), read at commit
01414e871bb81be2c82ebff6cdccf187b9480637 (Tilt with `initial_sync`, after Helm 4 support).
Parameters are in the reference's order, so positional arguments bind as they do in Tilt; the
first parameter of a few builtins (`helm`, `kustomize`) is named differently in Tilt's Go code,
so pass those positionally. Add a builtin here, from that page, before the Tiltfile uses it.
"""

from __future__ import annotations

import inspect
from typing import NamedTuple


class Builtin(NamedTuple):
    params: tuple[str, ...]
    required: int = 0  # how many leading params have no default
    keyword_only: tuple[str, ...] = ()
    varargs: str | None = None

    def signature(self) -> inspect.Signature:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = [
            inspect.Parameter(name, kind, **({} if i < self.required else {"default": None}))
            for i, name in enumerate(self.params)
        ]
        if self.varargs:
            params.append(inspect.Parameter(self.varargs, inspect.Parameter.VAR_POSITIONAL))
        params += [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
            for name in self.keyword_only
        ]
        return inspect.Signature(params)


BUILTINS: dict[str, Builtin] = {
    "allow_k8s_contexts": Builtin(("contexts",), 1),
    "analytics_settings": Builtin(("enable",), 1),
    "blob": Builtin(("contents",), 1),
    "ci_settings": Builtin(("k8s_grace_period", "timeout", "readiness_timeout")),
    "custom_build": Builtin(
        (
            "ref",
            "command",
            "deps",
            "tag",
            "disable_push",
            "skips_local_docker",
            "live_update",
            "match_in_env_vars",
            "ignore",
            "entrypoint",
            "command_bat_val",
            "outputs_image_ref_to",
            "command_bat",
            "image_deps",
            "env",
            "dir",
        ),
        3,
    ),
    "decode_json": Builtin(("json",), 1),
    "decode_yaml": Builtin(("yaml",), 1),
    "decode_yaml_stream": Builtin(("yaml",), 1),
    "default_registry": Builtin(("host", "host_from_cluster", "single_name"), 1),
    "docker_build": Builtin(
        (
            "ref",
            "context",
            "build_args",
            "dockerfile",
            "dockerfile_contents",
            "live_update",
            "match_in_env_vars",
            "ignore",
            "only",
            "entrypoint",
            "target",
            "ssh",
            "network",
            "secret",
            "extra_tag",
            "container_args",
            "cache_from",
            "pull",
            "platform",
            "extra_hosts",
        ),
        2,
    ),
    "docker_prune_settings": Builtin(
        ("disable", "max_age_mins", "num_builds", "interval_hrs", "keep_recent")
    ),
    "enable_feature": Builtin(("feature_name",), 1),
    "encode_json": Builtin(("obj",), 1),
    "encode_yaml": Builtin(("obj",), 1),
    "encode_yaml_stream": Builtin(("objs",), 1),
    "exec_action": Builtin(("command",), 1),
    "fail": Builtin(("msg",), 1),
    "fall_back_on": Builtin(("files",), 1),
    "filter_yaml": Builtin(("yaml", "labels", "name", "namespace", "kind", "api_version"), 1),
    "helm": Builtin(
        ("pathToChartDir", "name", "namespace", "values", "set", "kube_version", "skip_crds"), 1
    ),
    "http_get_action": Builtin(("port", "host", "scheme", "path"), 1),
    "initial_sync": Builtin(()),
    "k8s_context": Builtin(()),
    "k8s_custom_deploy": Builtin(
        (
            "name",
            "apply_cmd",
            "delete_cmd",
            "deps",
            "image_selector",
            "live_update",
            "apply_dir",
            "apply_env",
            "apply_cmd_bat",
            "delete_dir",
            "delete_env",
            "delete_cmd_bat",
            "container_selector",
            "image_deps",
        ),
        4,
    ),
    "k8s_kind": Builtin(
        ("kind", "api_version"), 1, ("image_json_path", "image_object", "pod_readiness")
    ),
    "k8s_namespace": Builtin(()),
    "k8s_resource": Builtin(
        (
            "workload",
            "new_name",
            "port_forwards",
            "extra_pod_selectors",
            "trigger_mode",
            "resource_deps",
            "objects",
            "auto_init",
            "pod_readiness",
            "links",
            "labels",
            "discovery_strategy",
        )
    ),
    "k8s_yaml": Builtin(("yaml", "allow_duplicates"), 1),
    "kustomize": Builtin(("pathToDir", "kustomize_bin", "flags"), 1),
    "link": Builtin(("url", "name"), 1),
    "listdir": Builtin(("directory", "recursive"), 1),
    "local": Builtin(("command", "quiet", "command_bat", "echo_off", "env", "dir", "stdin"), 1),
    "local_resource": Builtin(
        (
            "name",
            "cmd",
            "deps",
            "trigger_mode",
            "resource_deps",
            "ignore",
            "auto_init",
            "serve_cmd",
            "cmd_bat",
            "serve_cmd_bat",
            "allow_parallel",
            "links",
            "labels",
            "env",
            "serve_env",
            "readiness_probe",
            "dir",
            "serve_dir",
        ),
        1,
    ),
    "port_forward": Builtin(("local_port", "container_port", "name", "link_path", "host"), 1),
    "probe": Builtin(
        (
            "initial_delay_secs",
            "timeout_secs",
            "period_secs",
            "success_threshold",
            "failure_threshold",
            "exec",
            "http_get",
            "tcp_socket",
        )
    ),
    "read_file": Builtin(("file_path", "default"), 1),
    "read_json": Builtin(("path", "default"), 1),
    "read_yaml": Builtin(("path", "default"), 1),
    "read_yaml_stream": Builtin(("path", "default"), 1),
    "restart_container": Builtin(()),
    "run": Builtin(("cmd", "trigger", "echo_off"), 1),
    "secret_settings": Builtin(("disable_scrub",)),
    "sync": Builtin(("local_path", "remote_path"), 2),
    "tcp_socket_action": Builtin(("port", "host"), 1),
    "trigger_mode": Builtin(("trigger_mode",), 1),
    "update_settings": Builtin(
        (
            "max_parallel_updates",
            "k8s_upsert_timeout_secs",
            "suppress_unused_image_warnings",
            "k8s_server_side_apply",
        )
    ),
    "version_settings": Builtin(("check_updates", "constraint")),
    "warn": Builtin(("msg",), 1),
    "watch_file": Builtin(("file_path",), 1),
    "watch_settings": Builtin(("ignore",), 1),
    "workload_to_resource_function": Builtin(("fn",), 1),
    # The dotted modules (`os.path.exists(...)`), reached through struct()s.
    "os.getcwd": Builtin(()),
    "os.getenv": Builtin(("key", "default"), 1),
    "os.path.abspath": Builtin(("path",), 1),
    "os.path.basename": Builtin(("path",), 1),
    "os.path.dirname": Builtin(("path",), 1),
    "os.path.exists": Builtin(("path",), 1),
    "os.path.join": Builtin(("path",), 1, varargs="paths"),
    "os.path.relpath": Builtin(("targpath", "basepath"), 1),
}

# Constants the reference defines beside the functions.
CONSTANTS = ("TRIGGER_MODE_AUTO", "TRIGGER_MODE_MANUAL")
