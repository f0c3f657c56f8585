"""The rules every rendered manifest must keep, one function per rule.

Each function takes an overlay's documents and returns what breaks its
rule (an empty list when all is well), so that a test can assert both
that the real manifests pass and that a copy broken on purpose does not.
"""

import functools
import json
import re
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


def probe_errors(docs: list[Doc]) -> list[str]:
    """Web containers without readiness on /readyz, liveness on /healthz."""
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
    return errors


def shutdown_errors(docs: list[Doc]) -> list[str]:
    """Web pods whose preStop sleep and graceful stop outlast their grace."""
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


def disruption_budget_errors(docs: list[Doc]) -> list[str]:
    """Deployments and StatefulSets no PodDisruptionBudget covers."""
    budgets = manifests.of_kind(docs, "PodDisruptionBudget")
    errors = []
    for doc in docs:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        if not any(
            manifests.selects(budget["spec"]["selector"], _pods_of(doc))
            for budget in budgets
        ):
            errors.append(f"{manifests.ref(doc)}: no PodDisruptionBudget")
    return errors


def _scaled_targets(docs: list[Doc]) -> list[str]:
    """Deployments an HPA or a KEDA ScaledObject scales (with repeats)."""
    return [
        doc["spec"]["scaleTargetRef"]["name"]
        for doc in docs
        if doc["kind"] in ("HorizontalPodAutoscaler", "ScaledObject")
    ]


def beat_errors(docs: list[Doc]) -> list[str]:
    """Anything that could run two beats at once."""
    beat = manifests.find(docs, "Deployment", "beat")
    errors = []
    if beat["spec"].get("replicas") != 1:
        errors.append("beat: replicas is not 1")
    if beat["spec"].get("strategy", {}).get("type") != "Recreate":
        errors.append("beat: strategy is not Recreate")
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
                if isinstance(port["port"], str) and not all(
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


def _allowed_sources(docs: list[Doc], pod_name: str, port: int) -> set[str]:
    """The pods (by name label) any ingress rule lets reach a port."""
    target = next(
        pod
        for pod in manifests.all_pods(docs)
        if pod.labels.get("app.kubernetes.io/name") == pod_name
    )
    sources = set()
    for policy in manifests.of_kind(docs, "NetworkPolicy"):
        spec = policy["spec"]
        if not manifests.selects(spec["podSelector"], target.labels):
            continue
        for rule in spec.get("ingress", []):
            ports = [p.get("port") for p in rule.get("ports", [])]
            if ports and port not in ports:
                continue
            for peer in rule.get("from", []):
                if "namespaceSelector" in peer:
                    namespace = peer["namespaceSelector"]["matchLabels"]
                    sources.add(
                        "ns:" + namespace["kubernetes.io/metadata.name"]
                    )
                    continue
                sources.update(
                    pod.labels["app.kubernetes.io/name"]
                    for pod in manifests.selected(docs, peer["podSelector"])
                )
    return sources


# Who may reach what, as the issue says: the edge, the gateway, each
# service's own database, the broker and Redis.
EXPECTED_REACH = {
    ("gateway", 8000): {"ns:ingress-nginx"},
    ("users", 8001): {"gateway"},
    ("accounting", 8002): {"gateway"},
    ("users-db", 5432): {"users", "users-worker", "users-migrate"},
    ("accounting-db", 5432): {
        "accounting",
        "accounting-worker",
        "accounting-migrate",
    },
    ("rabbitmq", 5672): {
        "users",
        "users-worker",
        "users-migrate",
        "beat",
        "accounting",
        "accounting-worker",
    },
    ("redis", 6379): {
        "gateway",
        "accounting",
        "accounting-worker",
        "accounting-migrate",
    },
}
# What the operators need on top of that, in prod only.
OPERATOR_REACH = {
    ("users-db", 5432): {"users-db", "ns:cnpg-system"},
    ("accounting-db", 5432): {"accounting-db", "ns:cnpg-system"},
    ("rabbitmq", 5672): {"ns:keda"},
}


def reach_errors(docs: list[Doc]) -> list[str]:
    """Ports reachable by more (or fewer) pods than the design says."""
    errors = []
    operated = bool(manifests.operator_pods(docs))
    for (name, port), reach in EXPECTED_REACH.items():
        extra = OPERATOR_REACH.get((name, port), set()) if operated else set()
        expected = reach | extra
        got = _allowed_sources(docs, name, port)
        if got != expected:
            errors.append(
                f"{name}:{port} reachable from {sorted(got)}, "
                f"not {sorted(expected)}"
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
