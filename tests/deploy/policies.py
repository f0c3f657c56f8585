"""The rules every rendered manifest must keep, one function per rule.

Each function takes an overlay's documents and returns what breaks its
rule (an empty list when all is well), so that a test can assert both
that the real manifests pass and that a copy broken on purpose does not.
"""

import ast
import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import kubernetes_validate
import referencing

from config import bootstrap, contracts
from tests.deploy import manifests
from tests.deploy.manifests import Doc

# The Kubernetes release whose API the manifests are validated against.
KUBERNETES_VERSION = "1.33"
SCHEMA_DIR = manifests.K8S_DIR / "schemas"
# A container may keep a writable root file system only if its pod says
# why, in this annotation.
WRITABLE_ROOT_ANNOTATION = "savings.example/writable-root"
APP_PORT = {"integration": 8000, "users": 8001, "accounting": 8002}
METRICS_PORT = "9100"
BASE_SETTINGS = manifests.REPO_DIR / "config" / "base.py"
ENTRYPOINT_WEB = manifests.REPO_DIR / "docker" / "entrypoint-web.sh"
# A liveness probe restarts a pod that fails it: a busy pod must get time
# to answer and several chances, or its own load restarts it (and the
# others then take that load).
LIVENESS_MIN_TIMEOUT = 5
LIVENESS_MIN_FAILURES = 6
# What a worker needs after its last task's time limit: its warm shutdown
# acknowledges, closes the broker connection and exits.
WORKER_STOP_MARGIN = 15
# ingress-nginx keeps an idle upstream connection this long (its
# ConfigMap's upstream-keepalive-timeout, default 60 s).
INGRESS_KEEPALIVE_KEY = "upstream-keepalive-timeout"
INGRESS_KEEPALIVE_DEFAULT = 60
# What a cluster needs beyond what the settings refuse to start without:
# without these a process falls back to the embedded default (SQLite,
# the file-system broker, per-process memory), which would run but be
# wrong with more than one pod. Keyed by (settings module, process role).
_DATABASE = {
    "config.users.settings": "USERS_DATABASE_URL",
    "config.accounting.settings": "ACCOUNTING_DATABASE_URL",
}
_OBSERVABILITY = {"METRICS_PORT", "METRICS_BIND", "LOG_FORMAT"}
# Every credential a service may hold; each service holds only its own
# (config/bootstrap.py says which, for compose alike).
_CREDENTIALS = {
    name for names in bootstrap.SERVICE_SECRETS.values() for name in names
}


def cluster_env(module: str, role: str) -> set[str]:
    """The variables a process of a role needs in a cluster."""
    names = set(_OBSERVABILITY)
    if module == "config.integration.settings":
        return names | {"CACHE_URL", "CHANNEL_LAYER_URL", "USERS_SERVICE_URL"}
    if role != "beat":
        names.add(_DATABASE[module])
    if role != "migrate" or module == "config.users.settings":
        names.add("CELERY_BROKER_URL")
    if module == "config.accounting.settings":
        names.add("CACHE_URL")
    if module == "config.users.settings" and role == "web":
        # The admin's customer panel reads accounting.
        names.add("ACCOUNTING_SERVICE_URL")
    if role == "web":
        names.add("MIGRATE_ON_START")
    return names


# --- Schemas ----------------------------------------------------------------


# kubernetes-validate's bundled schemas of that release, strict variant
# (no unknown field): one file per kind and a shared _definitions.json.
BUILTIN_SCHEMA_DIR = (
    Path(kubernetes_validate.__file__).parent
    / "kubernetes-json-schema"
    / f"v{KUBERNETES_VERSION}.0-local-strict"
)


@functools.cache
def _validator(
    api_version: str, kind: str
) -> jsonschema.Draft202012Validator | None:
    """The strict validator of a kind, or None if no schema knows it.

    Built-in kinds use kubernetes-validate's schemas (the same files and
    file naming its ``validate`` uses, loaded once here rather than per
    document); custom resources the project's own in deploy/k8s/schemas/.
    """
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    builtin = BUILTIN_SCHEMA_DIR / f"{kind.lower()}-{group}.json"
    if builtin.exists():
        definitions = json.loads(
            (BUILTIN_SCHEMA_DIR / "_definitions.json").read_text()
        )
        schema = json.loads(builtin.read_text())
        # Each file names itself ($id); the kinds refer to the shared one.
        registry = referencing.Resource.from_contents(definitions) @ (
            referencing.Registry()
        )
        return jsonschema.Draft202012Validator(schema, registry=registry)
    own = SCHEMA_DIR / f"{api_version.replace('/', '_')}_{kind}.json"
    if own.exists():
        return jsonschema.Draft202012Validator(json.loads(own.read_text()))
    return None


def schema_errors(docs: list[Doc]) -> list[str]:
    """Documents that their schema refuses, or that have none.

    Built-in kinds against kubernetes-validate's bundled schemas of
    KUBERNETES_VERSION, strict (an unknown field fails); custom resources
    against the strict schemas in deploy/k8s/schemas/.
    """
    errors = []
    for doc in docs:
        validator = _validator(doc["apiVersion"], doc["kind"])
        if validator is None:
            errors.append(f"{manifests.ref(doc)}: no schema")
            continue
        errors.extend(
            f"{manifests.ref(doc)}: {error.message}"
            for error in validator.iter_errors(doc)
        )
    return errors


# --- Containers -------------------------------------------------------------


def resource_errors(docs: list[Doc]) -> list[str]:
    """Containers without CPU and memory requests and limits."""
    errors = []
    for pod in manifests.workload_pods(docs):
        for container in pod.containers():
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(bound, {}))
                if missing:
                    errors.append(
                        f"{pod.owner} {container['name']}: no {bound} "
                        f"for {', '.join(sorted(missing))}"
                    )
    return errors


def security_errors(docs: list[Doc]) -> list[str]:
    """Pods that may run as root, escalate, keep capabilities or write /."""
    errors = []
    for pod in manifests.workload_pods(docs):
        pod_context = pod.spec.get("securityContext", {})
        for container in pod.containers():
            where = f"{pod.owner} {container['name']}"
            context = container.get("securityContext", {})
            if not context.get(
                "runAsNonRoot", pod_context.get("runAsNonRoot", False)
            ):
                errors.append(f"{where}: runAsNonRoot is not set")
            user = context.get("runAsUser", pod_context.get("runAsUser"))
            if user == 0:
                errors.append(f"{where}: runs as uid 0")
            if context.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{where}: allowPrivilegeEscalation not false")
            if context.get("privileged"):
                errors.append(f"{where}: privileged")
            if context.get("capabilities", {}).get("drop") != ["ALL"]:
                errors.append(f"{where}: capabilities do not drop ALL")
            if context.get("capabilities", {}).get("add"):
                errors.append(f"{where}: adds capabilities")
            if not context.get(
                "readOnlyRootFilesystem"
            ) and not pod.annotations.get(WRITABLE_ROOT_ANNOTATION):
                errors.append(
                    f"{where}: writable root file system without a reason "
                    f"({WRITABLE_ROOT_ANNOTATION})"
                )
        if pod.spec.get("automountServiceAccountToken") is not False:
            errors.append(f"{pod.owner}: mounts a service account token")
    return errors


def image_errors(docs: list[Doc]) -> list[str]:
    """Images not pinned by a tag (or digest), or pinned to ``latest``."""
    errors = []
    for pod in manifests.workload_pods(docs):
        for container in pod.containers():
            image = container["image"]
            if "@sha256:" in image:
                continue
            name, _, tag = image.rpartition(":")
            if not name or "/" in tag or tag in ("", "latest"):
                errors.append(f"{pod.owner}: image {image} has no pinned tag")
    for doc in manifests.of_kind(docs, "Cluster"):
        if ":" not in doc["spec"].get("imageName", ""):
            errors.append(f"{manifests.ref(doc)}: no pinned imageName")
    for doc in manifests.of_kind(docs, "RabbitmqCluster"):
        if ":" not in doc["spec"].get("image", ""):
            errors.append(f"{manifests.ref(doc)}: no pinned image")
    return errors


def _web_deployments(docs: list[Doc]) -> list[Doc]:
    """The Deployments of the three web services."""
    return [
        doc
        for doc in manifests.of_kind(docs, "Deployment")
        if doc["spec"]["template"]["metadata"]["labels"].get(
            "app.kubernetes.io/component"
        )
        == "web"
    ]


@functools.cache
def _base_settings() -> dict[str, ast.expr]:
    """config/base.py's top-level assignments, by name (read, not run)."""
    tree = ast.parse(BASE_SETTINGS.read_text())
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _default_allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS when DJANGO_ALLOWED_HOSTS is unset (config/base.py)."""
    call = _base_settings()["ALLOWED_HOSTS"]
    default = next(kw.value for kw in call.keywords if kw.arg == "default")
    return ast.literal_eval(default)


def _host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether Django's ALLOWED_HOSTS let a Host header through."""
    return any(
        pattern in ("*", host)
        or (pattern.startswith(".") and f".{host}".endswith(pattern))
        for pattern in allowed
    )


def _probe_target_errors(
    docs: list[Doc], pod: manifests.Pod, container: Doc
) -> list[str]:
    """Probes aimed at a port the container lacks or a host it refuses."""
    errors = []
    where = f"{pod.owner} {container['name']}"
    ports = {port["containerPort"] for port in container.get("ports", [])}
    ports |= {port["name"] for port in container.get("ports", [])}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(kind, {})
        handler = next(
            (
                probe[key]
                for key in ("httpGet", "tcpSocket", "grpc")
                if key in probe
            ),
            None,
        )
        if handler is None:
            continue
        if handler["port"] not in ports:
            errors.append(f"{where}: {kind} on port {handler['port']}, none")
        if "httpGet" not in probe or not manifests.is_app(container):
            continue
        host = next(
            (
                header["value"]
                for header in handler.get("httpHeaders", [])
                if header["name"].lower() == "host"
            ),
            None,
        )
        env = manifests.container_env(docs, container)
        setting = env.get("DJANGO_ALLOWED_HOSTS")
        allowed = (
            setting.value.split(",")
            if setting is not None and setting.value is not None
            else _default_allowed_hosts()
        )
        # Without a Host header the kubelet sends the pod's address.
        if host is None or not _host_allowed(host, allowed):
            errors.append(
                f"{where}: {kind} sends Host {host}, not in "
                f"DJANGO_ALLOWED_HOSTS {allowed}"
            )
    return errors


def probe_errors(docs: list[Doc]) -> list[str]:
    """Probes that cannot pass, or web probes on the wrong path.

    Web containers: readiness on /readyz, startup and liveness on
    /healthz. Every container: each probe aims at one of its own ports,
    and an HTTP probe of the app sends a Host its DJANGO_ALLOWED_HOSTS
    accept (Django answers 400 to any other).
    """
    errors = []
    expected = {
        "readinessProbe": "/readyz",
        "livenessProbe": "/healthz",
        "startupProbe": "/healthz",
    }
    for doc in _web_deployments(docs):
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for probe, path in expected.items():
                got = container.get(probe, {}).get("httpGet", {}).get("path")
                if got != path:
                    errors.append(
                        f"{manifests.ref(doc)}: {probe} on {got}, not {path}"
                    )
    for pod in manifests.workload_pods(docs):
        for container in pod.containers():
            errors.extend(_probe_target_errors(docs, pod, container))
    return errors


def liveness_errors(docs: list[Doc]) -> list[str]:
    """Liveness probes that would restart a pod for being busy."""
    errors = []
    for pod in manifests.workload_pods(docs):
        for container in pod.containers():
            probe = container.get("livenessProbe")
            if probe is None:
                continue
            where = f"{pod.owner} {container['name']}"
            # Kubernetes' defaults: 1 s and 3 failures.
            if probe.get("timeoutSeconds", 1) < LIVENESS_MIN_TIMEOUT:
                errors.append(
                    f"{where}: liveness timeoutSeconds < {LIVENESS_MIN_TIMEOUT}"
                )
            if probe.get("failureThreshold", 3) < LIVENESS_MIN_FAILURES:
                errors.append(
                    f"{where}: liveness failureThreshold < "
                    f"{LIVENESS_MIN_FAILURES}"
                )
    return errors


def task_time_limit() -> int:
    """CELERY_TASK_TIME_LIMIT of config/base.py, in seconds."""
    return ast.literal_eval(_base_settings()["CELERY_TASK_TIME_LIMIT"])


def shutdown_errors(docs: list[Doc]) -> list[str]:
    """Pods whose graceful stop outlasts their grace period.

    Web pods: the preStop sleep plus GRACEFUL_TIMEOUT. Workers: a task
    started just before SIGTERM may run to the task time limit, then the
    worker stops (WORKER_STOP_MARGIN).
    """
    errors = []
    for doc in _web_deployments(docs):
        spec = doc["spec"]["template"]["spec"]
        grace = spec.get("terminationGracePeriodSeconds", 30)
        for container in spec["containers"]:
            command = (
                container.get("lifecycle", {})
                .get("preStop", {})
                .get("exec", {})
                .get("command", [])
            )
            if len(command) != 2 or command[0] != "sleep":
                errors.append(f"{manifests.ref(doc)}: no preStop sleep")
                continue
            env = manifests.container_env(docs, container)
            graceful = int(env["GRACEFUL_TIMEOUT"].value)
            if int(command[1]) + graceful >= grace:
                errors.append(
                    f"{manifests.ref(doc)}: preStop {command[1]} s + "
                    f"GRACEFUL_TIMEOUT {graceful} s >= grace {grace} s"
                )
    needed = task_time_limit() + WORKER_STOP_MARGIN
    for pod in manifests.workload_pods(docs):
        if pod.labels.get("app.kubernetes.io/component") != "worker":
            continue
        grace = pod.spec.get("terminationGracePeriodSeconds", 30)
        if grace <= needed:
            errors.append(
                f"{pod.owner}: grace {grace} s <= task time limit "
                f"{task_time_limit()} s + {WORKER_STOP_MARGIN} s"
            )
    return errors


def environment_errors(docs: list[Doc]) -> list[str]:
    """App containers missing a variable their settings or the cluster need.

    Also a ``$(NAME)`` in a value must name a variable set before it, or
    Kubernetes passes it on literally.
    """
    errors = []
    for pod, container in manifests.app_containers(docs):
        env = manifests.container_env(docs, container)
        where = f"{pod.owner} {container['name']}"
        module = manifests.settings_module(container, env)
        role = pod.labels["app.kubernetes.io/component"]
        needed = manifests.required_settings_env(module) | cluster_env(
            module, role
        )
        for name in sorted(needed):
            if not any(option in env for option in name.split("|")):
                errors.append(f"{where}: {name} is not set ({module})")
        if env.get("METRICS_PORT", manifests.EnvValue()).value != METRICS_PORT:
            errors.append(f"{where}: METRICS_PORT is not {METRICS_PORT}")
        if env.get("LOG_FORMAT", manifests.EnvValue()).value != "json":
            errors.append(f"{where}: LOG_FORMAT is not json")
        own = set(bootstrap.SERVICE_SECRETS[module.split(".")[1]])
        for name in sorted((set(env) & _CREDENTIALS) - own):
            errors.append(f"{where}: {name} is another service's credential")
        if role == "web" and env["MIGRATE_ON_START"].value != "0":
            errors.append(f"{where}: migrates at start (a Job does)")
        seen: set[str] = set()
        for entry in container.get("env", []):
            for name in re.findall(r"\$\((\w+)\)", entry.get("value", "")):
                if name not in seen:
                    errors.append(f"{where}: {entry['name']} uses $({name})")
            seen.add(entry["name"])
    return errors


def metrics_port_errors(docs: list[Doc]) -> list[str]:
    """App containers without a container port ``metrics`` on 9100."""
    errors = []
    for pod, container in manifests.app_containers(docs):
        if pod.labels.get("app.kubernetes.io/component") == "migrate":
            continue
        ports = {p.get("name"): p for p in container.get("ports", [])}
        if str(ports.get("metrics", {}).get("containerPort")) != METRICS_PORT:
            errors.append(f"{pod.owner}: no port metrics={METRICS_PORT}")
    return errors


def web_port_errors(docs: list[Doc]) -> list[str]:
    """Web containers whose PORT and port ``http`` disagree with the app."""
    errors = []
    for doc in _web_deployments(docs):
        container = doc["spec"]["template"]["spec"]["containers"][0]
        env = manifests.container_env(docs, container)
        expected = APP_PORT[env["SERVICE"].value]
        ports = {p.get("name"): p for p in container.get("ports", [])}
        if ports.get("http", {}).get("containerPort") != expected or env[
            "PORT"
        ].value != str(expected):
            errors.append(f"{manifests.ref(doc)}: not on port {expected}")
    return errors


# --- Workloads --------------------------------------------------------------


def _pods_of(doc: Doc) -> dict[str, str]:
    """A workload's pod labels."""
    return manifests.pod_template(doc)["metadata"]["labels"]


@dataclass(frozen=True)
class PodSet:
    """Pods of one owner: a workload, or an operator's resource."""

    owner: str
    labels: dict[str, str]
    # The fewest pods it runs: its replicas, or its autoscaler's minimum.
    minimum: int
    # The operator makes the set's PodDisruptionBudgets itself.
    operator_budget: bool = False


def _autoscaled_minimum(docs: list[Doc], name: str) -> int | None:
    """The minimum an HPA or a ScaledObject keeps a Deployment at."""
    for doc in docs:
        if doc["kind"] not in ("HorizontalPodAutoscaler", "ScaledObject"):
            continue
        if doc["spec"]["scaleTargetRef"]["name"] != name:
            continue
        if doc["kind"] == "HorizontalPodAutoscaler":
            return doc["spec"].get("minReplicas", 1)
        # KEDA may scale to 0; a budget matters once there is a pod.
        return max(doc["spec"].get("minReplicaCount", 0), 1)
    return None


def pod_sets(docs: list[Doc]) -> list[PodSet]:
    """Every Deployment's and StatefulSet's pods, and the operators'."""
    sets = []
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        minimum = _autoscaled_minimum(docs, doc["metadata"]["name"])
        if minimum is None:
            minimum = doc["spec"].get("replicas", 1)
        sets.append(PodSet(manifests.ref(doc), _pods_of(doc), minimum))
    for pod in manifests.operator_pods(docs):
        kind, name = pod.owner.split("/")
        spec = manifests.find(docs, kind, name)["spec"]
        if kind == "Cluster":
            # CloudNativePG makes a budget for the primary and one for the
            # replicas unless enablePDB is false.
            sets.append(
                PodSet(
                    pod.owner,
                    pod.labels,
                    spec["instances"],
                    operator_budget=spec.get("enablePDB", True),
                )
            )
        else:
            # The RabbitMQ Cluster Operator makes none.
            sets.append(PodSet(pod.owner, pod.labels, spec.get("replicas", 1)))
    return sets


def _scaled(value: int | str, replicas: int) -> int:
    """A budget's number or percentage of replicas (rounded up, as K8s)."""
    if isinstance(value, str):
        return math.ceil(replicas * int(value.rstrip("%")) / 100)
    return value


def allowed_disruptions(budget: Doc, replicas: int) -> int:
    """How many of that many healthy pods a budget lets a drain evict."""
    spec = budget["spec"]
    if "maxUnavailable" in spec:
        return _scaled(spec["maxUnavailable"], replicas)
    return replicas - _scaled(spec.get("minAvailable", 1), replicas)


def disruption_budget_errors(docs: list[Doc]) -> list[str]:
    """Pods no budget covers, and budgets that would block every drain.

    Every Deployment, StatefulSet and operator-made set (RabbitmqCluster,
    CNPG Cluster) has a PodDisruptionBudget, its own or its operator's;
    each budget lets at least one pod go at the fewest replicas of what it
    selects (an HPA's minReplicas, or replicas), or a drain never ends.
    """
    budgets = manifests.of_kind(docs, "PodDisruptionBudget")
    sets = pod_sets(docs)
    errors = []
    for pod_set in sets:
        covered = pod_set.operator_budget or any(
            manifests.selects(budget["spec"]["selector"], pod_set.labels)
            for budget in budgets
        )
        if not covered:
            errors.append(f"{pod_set.owner}: no PodDisruptionBudget")
    for budget in budgets:
        selected = [
            pod_set
            for pod_set in sets
            if manifests.selects(budget["spec"]["selector"], pod_set.labels)
        ]
        if not selected:
            errors.append(f"{manifests.ref(budget)}: selects no pod")
        for pod_set in selected:
            if allowed_disruptions(budget, pod_set.minimum) < 1:
                errors.append(
                    f"{manifests.ref(budget)}: no disruption allowed at "
                    f"{pod_set.minimum} pod(s) of {pod_set.owner}"
                )
    return errors


def _scaled_targets(docs: list[Doc]) -> list[str]:
    """Deployments an HPA or a KEDA ScaledObject scales (with repeats)."""
    return [
        doc["spec"]["scaleTargetRef"]["name"]
        for doc in docs
        if doc["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")
    ]


def beat_errors(docs: list[Doc]) -> list[str]:
    """Anything that could run two beats at once.

    Beat runs in one StatefulSet of one replica, the only workload whose
    container runs docker/entrypoint-beat.sh, and no autoscaler targets
    it: a StatefulSet starts beat-0 again only once the old beat-0 is
    gone, where a Deployment may start a pod while one on a lost node
    still runs.
    """
    errors = []
    runners = sorted(
        {
            pod.owner
            for pod, container in manifests.app_containers(docs)
            if "entrypoint-beat" in " ".join(container.get("command", []))
        }
    )
    if runners != ["StatefulSet/beat"]:
        errors.append(f"beat runs in {runners}, not StatefulSet/beat alone")
    for beat in manifests.of_kind(docs, "StatefulSet"):
        if beat["metadata"]["name"] != "beat":
            continue
        if beat["spec"].get("replicas") != 1:
            errors.append("beat: replicas is not 1")
    if "beat" in _scaled_targets(docs):
        errors.append("beat: an autoscaler targets it")
    return errors


def scaling_errors(docs: list[Doc]) -> list[str]:
    """Autoscalers of missing Deployments, two on one, replicas fighting.

    Web Deployments have an HPA; a Deployment an autoscaler owns leaves
    ``replicas`` unset (an apply would reset the count). A ScaledObject
    reads one of the app's queues.
    """
    errors = []
    targets = _scaled_targets(docs)
    deployments = {
        doc["metadata"]["name"]: doc
        for doc in manifests.of_kind(docs, "Deployment")
    }
    for name in set(targets):
        if name not in deployments:
            errors.append(f"autoscaler of a missing Deployment {name}")
        elif targets.count(name) > 1:
            errors.append(f"Deployment/{name}: two autoscalers")
        elif "replicas" in deployments[name]["spec"]:
            errors.append(f"Deployment/{name}: replicas set, yet autoscaled")
    for doc in _web_deployments(docs):
        hpas = [
            hpa
            for hpa in manifests.of_kind(docs, "HorizontalPodAutoscaler")
            if hpa["spec"]["scaleTargetRef"]["name"] == doc["metadata"]["name"]
        ]
        if not hpas:
            errors.append(f"{manifests.ref(doc)}: no HorizontalPodAutoscaler")
    queues = {contracts.ACCOUNTING_QUEUE, contracts.USERS_QUEUE}
    for doc in manifests.of_kind(docs, "ScaledObject"):
        for trigger in doc["spec"]["triggers"]:
            queue = trigger["metadata"].get("queueName")
            if trigger["type"] == "rabbitmq" and queue not in queues:
                errors.append(f"{manifests.ref(doc)}: unknown queue {queue}")
    return errors


def migration_errors(docs: list[Doc]) -> list[str]:
    """Databases without a migrate Job."""
    errors = []
    jobs = manifests.of_kind(docs, "Job")
    for service in ("users", "accounting"):
        migrating = [
            job
            for job in jobs
            if "migrate"
            in " ".join(
                job["spec"]["template"]["spec"]["containers"][0]["command"]
            )
            and any(
                entry.get("value") == f"config.{service}.settings"
                for entry in job["spec"]["template"]["spec"]["containers"][0][
                    "env"
                ]
            )
        ]
        if not migrating:
            errors.append(f"no Job migrates {service}")
    return errors


# --- Networking -------------------------------------------------------------


def _peer_errors(docs: list[Doc], policy: Doc, peers: list[Doc]) -> list[str]:
    """Same-namespace peers of a policy that select no pod."""
    errors = []
    for peer in peers:
        local = "podSelector" in peer and "namespaceSelector" not in peer
        if local and not manifests.selected(docs, peer["podSelector"]):
            errors.append(
                f"{manifests.ref(policy)}: peer {peer['podSelector']} "
                "selects no pod"
            )
    return errors


def network_policy_errors(docs: list[Doc]) -> list[str]:
    """Policies (or their peers) selecting no pod; named ports nobody has.

    Also: the namespace must deny by default and let DNS out.
    """
    errors = []
    policies = manifests.of_kind(docs, "NetworkPolicy")
    for policy in policies:
        spec = policy["spec"]
        pods = manifests.selected(docs, spec["podSelector"])
        if not pods:
            errors.append(f"{manifests.ref(policy)}: selects no pod")
        for rule in spec.get("ingress", []):
            errors.extend(_peer_errors(docs, policy, rule.get("from", [])))
            for port in rule.get("ports", []):
                if isinstance(port.get("port"), str) and not all(
                    port["port"] in pod.port_names() for pod in pods
                ):
                    errors.append(
                        f"{manifests.ref(policy)}: a pod has no port "
                        f"named {port['port']}"
                    )
        for rule in spec.get("egress", []):
            errors.extend(_peer_errors(docs, policy, rule.get("to", [])))
    if not any(
        policy["spec"]["podSelector"] == {}
        and set(policy["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
        for policy in policies
    ):
        errors.append("no default-deny NetworkPolicy")
    if not any(
        policy["spec"]["podSelector"] == {}
        and any(
            port.get("port") == 53
            for rule in policy["spec"].get("egress", [])
            for port in rule.get("ports", [])
        )
        for policy in policies
    ):
        errors.append("no DNS egress for every pod")
    return errors


NAMESPACE_LABEL = "kubernetes.io/metadata.name"
# The ranges the accounting worker's webhook egress excepts from 0.0.0.0/0
# (accounting/webhooks/addresses.py refuses them too).
PRIVATE_RANGES = frozenset(
    {
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
    }
)
Flow = tuple[str, str]


def _ip_block_name(block: Doc) -> str:
    """``ip:CIDR`` (with its exceptions), or ``ip:public``."""
    excepted = frozenset(block.get("except", []))
    if block["cidr"] == "0.0.0.0/0" and excepted == PRIVATE_RANGES:
        return "ip:public"
    if excepted:
        return f"ip:{block['cidr']} except {','.join(sorted(excepted))}"
    return f"ip:{block['cidr']}"


def _namespace_name(selector: Doc) -> str:
    """``ns:NAME``, ``ns:*`` for every namespace, else the selector."""
    if selector == {}:
        return "ns:*"
    labels = selector.get("matchLabels", {})
    if list(selector) == ["matchLabels"] and list(labels) == [NAMESPACE_LABEL]:
        return f"ns:{labels[NAMESPACE_LABEL]}"
    return f"ns:{json.dumps(selector, sort_keys=True)}"


def _peer_names(docs: list[Doc], peer: Doc) -> set[str]:
    """A NetworkPolicy peer as the reach tables name it.

    A pod of the namespace by its app.kubernetes.io/name; ``ns:NAME`` for
    a namespace (``ns:*`` for every one); ``ip:CIDR``, or ``ip:public``
    for 0.0.0.0/0 except exactly PRIVATE_RANGES.
    """
    if "ipBlock" in peer:
        return {_ip_block_name(peer["ipBlock"])}
    if "namespaceSelector" in peer:
        return {_namespace_name(peer["namespaceSelector"])}
    return {
        pod.labels.get("app.kubernetes.io/name", "?")
        for pod in manifests.selected(docs, peer["podSelector"])
    }


def _rule_ports(rule: Doc, target: manifests.Pod | None) -> set[str]:
    """A rule's ports as the reach tables name them.

    ``5432``, ``53/UDP``, ``35672-35682``; ``*`` for every port of a
    protocol, ``all`` for a rule without ports (every port and protocol).
    A named port is looked up in the target pod's containers (ingress).
    """
    entries = rule.get("ports") or []
    if not entries:
        return {"all"}
    ports = set()
    for entry in entries:
        port = entry.get("port")
        if port is None:
            text = "*"
        elif isinstance(port, str):
            numbers = [
                str(container_port["containerPort"])
                for container in (target.containers() if target else [])
                for container_port in container.get("ports", [])
                if container_port.get("name") == port
            ]
            text = numbers[0] if numbers else port
        elif "endPort" in entry:
            text = f"{port}-{entry['endPort']}"
        else:
            text = str(port)
        protocol = entry.get("protocol", "TCP")
        ports.add(text if protocol == "TCP" else f"{text}/{protocol}")
    return ports


def allowed_flows(
    docs: list[Doc], pod: manifests.Pod, direction: str
) -> set[Flow]:
    """The (peer, port) pairs the NetworkPolicies let a pod talk with.

    ``direction`` is ``Ingress`` (peers are sources) or ``Egress``
    (destinations). A rule with no ``from``/``to`` admits every peer
    (``*``); a pod no policy of that direction selects is open: ``(*,
    all)``.
    """
    key, peers_key = (
        ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    )
    flows: set[Flow] = set()
    isolated = False
    for policy in manifests.of_kind(docs, "NetworkPolicy"):
        spec = policy["spec"]
        if not manifests.selects(spec["podSelector"], pod.labels):
            continue
        types = spec.get("policyTypes") or (
            ["Ingress", "Egress"] if "egress" in spec else ["Ingress"]
        )
        if direction not in types:
            continue
        isolated = True
        for rule in spec.get(key) or []:
            peers = rule.get(peers_key) or []
            names = (
                set().union(*(_peer_names(docs, peer) for peer in peers))
                if peers
                else {"*"}
            )
            target = pod if direction == "Ingress" else None
            flows |= {
                (name, port)
                for name in names
                for port in _rule_ports(rule, target)
            }
    return flows if isolated else {("*", "all")}


def _flows(peers: set[str], *ports: int | str) -> set[Flow]:
    """Every pair of those peers and ports."""
    return {(peer, str(port)) for peer in peers for port in ports}


# Who may reach what, as the issue says: the edge, the gateway, each
# service's own database, the broker and Redis; users' admin accounting
# (a customer's summary); Prometheus the metrics ports. Every pod of the
# namespace is listed, both ways.
_SCRAPED = _flows({"ns:monitoring"}, METRICS_PORT)
_BROKER_CLIENTS = {
    "users",
    "users-worker",
    "users-migrate",
    "beat",
    "accounting",
    "accounting-worker",
}
EXPECTED_INGRESS: dict[str, set[Flow]] = {
    "gateway": _flows({"ns:ingress-nginx"}, 8000) | _SCRAPED,
    "users": _flows({"gateway"}, 8001) | _SCRAPED,
    "accounting": _flows({"gateway", "users"}, 8002) | _SCRAPED,
    "accounting-worker": _SCRAPED,
    "users-worker": _SCRAPED,
    "beat": _SCRAPED,
    "users-migrate": set(),
    "accounting-migrate": set(),
    "users-db": _flows({"users", "users-worker", "users-migrate"}, 5432),
    "accounting-db": _flows(
        {"accounting", "accounting-worker", "accounting-migrate"}, 5432
    ),
    "rabbitmq": _flows(_BROKER_CLIENTS, 5672),
    "redis": _flows(
        {"gateway", "accounting", "accounting-worker", "accounting-migrate"},
        6379,
    ),
}
# DNS for every pod: kube-dns, and NodeLocal DNSCache's address.
_DNS = _flows({"ns:kube-system", "ip:169.254.20.10/32"}, 53, "53/UDP")
EXPECTED_EGRESS: dict[str, set[Flow]] = {
    "gateway": _flows({"users"}, 8001)
    | _flows({"accounting"}, 8002)
    | _flows({"redis"}, 6379),
    "users": _flows({"users-db"}, 5432)
    | _flows({"rabbitmq"}, 5672)
    | _flows({"accounting"}, 8002),
    "accounting": _flows({"accounting-db"}, 5432)
    | _flows({"rabbitmq"}, 5672)
    | _flows({"redis"}, 6379),
    # Webhooks: any TCP port of a public address.
    "accounting-worker": _flows({"accounting-db"}, 5432)
    | _flows({"rabbitmq"}, 5672)
    | _flows({"redis"}, 6379)
    | _flows({"ip:public"}, "*"),
    "users-worker": _flows({"users-db"}, 5432) | _flows({"rabbitmq"}, 5672),
    "beat": _flows({"rabbitmq"}, 5672),
    "users-migrate": _flows({"users-db"}, 5432) | _flows({"rabbitmq"}, 5672),
    "accounting-migrate": _flows({"accounting-db"}, 5432)
    | _flows({"redis"}, 6379),
    "users-db": set(),
    "accounting-db": set(),
    "rabbitmq": set(),
    "redis": set(),
}
# What the operators' clusters need on top of that, in prod only: the
# API server's address is overlays/prod/networkpolicies.yaml's placeholder
# (change both together).
API_SERVER = "ip:10.0.0.1/32"
_RABBITMQ_PEERS = _flows({"rabbitmq"}, 4369, 25672, "35672-35682")
OPERATOR_INGRESS: dict[str, set[Flow]] = {
    "users-db": _flows({"users-db"}, 5432)
    | _flows({"ns:cnpg-system"}, 5432, 8000),
    "accounting-db": _flows({"accounting-db"}, 5432)
    | _flows({"ns:cnpg-system"}, 5432, 8000),
    "rabbitmq": _RABBITMQ_PEERS
    | _flows({"ns:rabbitmq-system"}, 15672)
    | _flows({"ns:keda"}, 5672),
}
OPERATOR_EGRESS: dict[str, set[Flow]] = {
    "users-db": _flows({"users-db"}, 5432, 8000)
    | _flows({API_SERVER}, 443, 6443),
    "accounting-db": _flows({"accounting-db"}, 5432, 8000)
    | _flows({API_SERVER}, 443, 6443),
    "rabbitmq": _RABBITMQ_PEERS | _flows({API_SERVER}, 443, 6443),
}


def reach_errors(docs: list[Doc]) -> list[str]:
    """Pods that may talk with more (or fewer) peers than the design says.

    Both directions, every pod of the namespace (the operators' too), every
    port: what the NetworkPolicies allow must equal the tables above.
    """
    errors = []
    operated = bool(manifests.operator_pods(docs))
    tables = {
        "Ingress": (EXPECTED_INGRESS, OPERATOR_INGRESS, set()),
        "Egress": (EXPECTED_EGRESS, OPERATOR_EGRESS, _DNS),
    }
    for pod in manifests.all_pods(docs):
        name = pod.labels.get("app.kubernetes.io/name", "?")
        for direction, (table, extra, common) in tables.items():
            if name not in table:
                errors.append(f"{pod.owner}: pod {name} not in the design")
                continue
            expected = table[name] | common
            if operated:
                expected = expected | extra.get(name, set())
            got = allowed_flows(docs, pod, direction)
            if got != expected:
                errors.append(
                    f"{name} {direction}: extra {sorted(got - expected)}, "
                    f"missing {sorted(expected - got)}"
                )
    return errors


def service_errors(docs: list[Doc]) -> list[str]:
    """Services selecting no pod, or aiming at a port the pods lack."""
    errors = []
    for service in manifests.of_kind(docs, "Service"):
        pods = manifests.selected(
            docs, {"matchLabels": service["spec"]["selector"]}
        )
        if not pods:
            errors.append(f"{manifests.ref(service)}: selects no pod")
        for port in service["spec"]["ports"]:
            target = port.get("targetPort")
            if isinstance(target, str) and not all(
                target in pod.port_names() for pod in pods
            ):
                errors.append(f"{manifests.ref(service)}: no port {target}")
    return errors


def ingress_errors(docs: list[Doc], *, tls: bool) -> list[str]:
    """An Ingress the gateway would refuse, cut WebSockets or not encrypt."""
    errors = []
    gateway = manifests.find(docs, "Deployment", "gateway")
    env = manifests.container_env(
        docs, gateway["spec"]["template"]["spec"]["containers"][0]
    )
    allowed = env["DJANGO_ALLOWED_HOSTS"].value.split(",")
    for ingress in manifests.of_kind(docs, "Ingress"):
        annotations = ingress["metadata"].get("annotations", {})
        for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
            seconds = annotations.get(f"nginx.ingress.kubernetes.io/{timeout}")
            if seconds is None or int(seconds) < 3600:
                errors.append(f"{manifests.ref(ingress)}: {timeout} < 3600")
        tls_hosts = {
            host
            for entry in ingress["spec"].get("tls", [])
            for host in entry.get("hosts", [])
        }
        for rule in ingress["spec"]["rules"]:
            if rule["host"] not in allowed:
                errors.append(
                    f"{manifests.ref(ingress)}: {rule['host']} is not in "
                    "the gateway's DJANGO_ALLOWED_HOSTS"
                )
            if tls and rule["host"] not in tls_hosts:
                errors.append(
                    f"{manifests.ref(ingress)}: {rule['host']} without TLS"
                )
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]["name"]
                if backend != "gateway":
                    errors.append(
                        f"{manifests.ref(ingress)}: exposes {backend}"
                    )
    return errors


def ingress_keepalive(docs: list[Doc]) -> int:
    """Seconds ingress-nginx keeps an idle upstream connection.

    Its controller's ConfigMap sets it cluster-wide; an overlay that
    renders that ConfigMap says so, else the controller's default holds.
    """
    for config_map in manifests.of_kind(docs, "ConfigMap"):
        value = config_map.get("data", {}).get(INGRESS_KEEPALIVE_KEY)
        if value is not None:
            return int(value.rstrip("s"))
    return INGRESS_KEEPALIVE_DEFAULT


def keep_alive_errors(docs: list[Doc]) -> list[str]:
    """A gateway that closes idle connections before ingress-nginx does.

    nginx reuses an idle upstream connection until its own timeout; if
    uvicorn closes it first, a request sent on it as it closes gets a 502.
    The keep-alive is what docker/entrypoint-web.sh passes uvicorn: the
    variable it names, as the gateway's container sets it, or its default.
    """
    match = re.search(
        r'--timeout-keep-alive "\$\{(\w+):-(\d+)\}"', ENTRYPOINT_WEB.read_text()
    )
    if match is None:
        return [f"{ENTRYPOINT_WEB.name}: uvicorn gets no --timeout-keep-alive"]
    name, default = match.groups()
    gateway = manifests.find(docs, "Deployment", "gateway")
    env = manifests.container_env(
        docs, gateway["spec"]["template"]["spec"]["containers"][0]
    )
    seconds = int(env.get(name, manifests.EnvValue(value=default)).value)
    upstream = ingress_keepalive(docs)
    if seconds <= upstream:
        return [
            f"gateway: {name}={seconds} s <= ingress-nginx's "
            f"{INGRESS_KEEPALIVE_KEY} {upstream} s"
        ]
    return []


# --- Secrets ----------------------------------------------------------------


def secret_references(docs: list[Doc]) -> set[tuple[str, str]]:
    """Every (Secret, key) a workload or KEDA reads."""
    references = set()
    for pod in manifests.workload_pods(docs):
        for container in pod.containers():
            for entry in container.get("env", []):
                key_ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if key_ref:
                    references.add((key_ref["name"], key_ref["key"]))
        for volume in pod.spec.get("volumes", []):
            secret = volume.get("secret")
            if secret:
                for item in secret.get("items", []):
                    references.add((secret["secretName"], item["key"]))
    for doc in manifests.of_kind(docs, "TriggerAuthentication"):
        for target in doc["spec"]["secretTargetRef"]:
            references.add((target["name"], target["key"]))
    for ingress in manifests.of_kind(docs, "Ingress"):
        for entry in ingress["spec"].get("tls", []):
            references.add((entry["secretName"], "tls.crt"))
    return references


def secret_key_errors(docs: list[Doc]) -> list[str]:
    """References to a Secret or a key the overlay does not create."""
    secrets = {
        doc["metadata"]["name"]: set(doc.get("data", {}))
        | set(doc.get("stringData", {}))
        for doc in manifests.of_kind(docs, "Secret")
    }
    return [
        f"Secret {name} has no key {key}"
        for name, key in sorted(secret_references(docs))
        if key not in secrets.get(name, set())
    ]
