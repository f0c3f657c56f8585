"""The rendered overlays keep every rule, and each rule catches its break.

Each rule (``tests/deploy/policies.py``) is asserted on both overlays as
rendered; then on a copy broken in the one way the rule is about, to show
the rule reads the real content and can fail.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.deploy import manifests, policies
from tests.deploy.manifests import Doc

Check = Callable[[list[Doc]], list[str]]


def _container(docs: list[Doc], kind: str, name: str) -> Doc:
    """The first container of a workload."""
    template = manifests.pod_template(manifests.find(docs, kind, name))
    return template["spec"]["containers"][0]


def _env_entry(container: Doc, name: str) -> Doc:
    """One ``env`` entry of a container."""
    return next(e for e in container["env"] if e["name"] == name)


def _drop_env(container: Doc, name: str) -> None:
    """Removes a variable from a container's ``env``."""
    container["env"] = [e for e in container["env"] if e["name"] != name]


def _break_limits(docs: list[Doc]) -> None:
    del _container(docs, "Deployment", "users-worker")["resources"]["limits"]


def _break_root(docs: list[Doc]) -> None:
    pod = manifests.pod_template(manifests.find(docs, "StatefulSet", "beat"))
    pod["spec"]["securityContext"]["runAsNonRoot"] = False


def _break_read_only(docs: list[Doc]) -> None:
    context = _container(docs, "Deployment", "gateway")["securityContext"]
    context["readOnlyRootFilesystem"] = False


def _break_capabilities(docs: list[Doc]) -> None:
    context = _container(docs, "Job", "users-migrate")["securityContext"]
    context["capabilities"] = {"drop": ["NET_RAW"]}


def _break_image(docs: list[Doc]) -> None:
    container = _container(docs, "Deployment", "redis")
    container["image"] = "redis:latest"


def _break_untagged(docs: list[Doc]) -> None:
    _container(docs, "Deployment", "accounting")["image"] = "savings-platform"


def _break_readiness(docs: list[Doc]) -> None:
    probe = _container(docs, "Deployment", "accounting")["readinessProbe"]
    probe["httpGet"]["path"] = "/healthz"


def _break_startup(docs: list[Doc]) -> None:
    del _container(docs, "Deployment", "users")["startupProbe"]


def _break_probe_port(docs: list[Doc]) -> None:
    probe = _container(docs, "Deployment", "gateway")["livenessProbe"]
    probe["httpGet"]["port"] = 8080


def _break_probe_host(docs: list[Doc]) -> None:
    container = _container(docs, "Deployment", "users")
    _env_entry(container, "DJANGO_ALLOWED_HOSTS")["value"] = "users"


def _break_redis_probe_port(docs: list[Doc]) -> None:
    probe = _container(docs, "Deployment", "redis")["livenessProbe"]
    probe["tcpSocket"]["port"] = "resp"


def _break_liveness_timeout(docs: list[Doc]) -> None:
    del _container(docs, "Deployment", "redis")["livenessProbe"][
        "timeoutSeconds"
    ]


def _break_liveness_failures(docs: list[Doc]) -> None:
    probe = _container(docs, "Deployment", "gateway")["livenessProbe"]
    probe["failureThreshold"] = 3


def _break_grace(docs: list[Doc]) -> None:
    pod = manifests.pod_template(manifests.find(docs, "Deployment", "users"))
    pod["spec"]["terminationGracePeriodSeconds"] = 20


def _break_pre_stop(docs: list[Doc]) -> None:
    del _container(docs, "Deployment", "gateway")["lifecycle"]


def _break_worker_grace(docs: list[Doc]) -> None:
    pod = manifests.pod_template(
        manifests.find(docs, "Deployment", "accounting-worker")
    )
    pod["spec"]["terminationGracePeriodSeconds"] = 70


def _break_required_env(docs: list[Doc]) -> None:
    _drop_env(
        _container(docs, "Deployment", "users-worker"), "USERS_SERVICE_TOKEN"
    )


def _break_jwt_key(docs: list[Doc]) -> None:
    _drop_env(_container(docs, "Deployment", "gateway"), "JWT_PUBLIC_KEY_FILE")


def _break_database_url(docs: list[Doc]) -> None:
    _drop_env(
        _container(docs, "Deployment", "accounting-worker"),
        "ACCOUNTING_DATABASE_URL",
    )


def _break_channel_layer(docs: list[Doc]) -> None:
    _drop_env(_container(docs, "Deployment", "gateway"), "CHANNEL_LAYER_URL")


def _break_least_privilege(docs: list[Doc]) -> None:
    container = _container(docs, "Deployment", "accounting")
    gateway = _container(docs, "Deployment", "gateway")
    container["env"].append(_env_entry(gateway, "USERS_SERVICE_TOKEN"))


def _break_env_order(docs: list[Doc]) -> None:
    container = _container(docs, "StatefulSet", "beat")
    broker = _env_entry(container, "CELERY_BROKER_URL")
    container["env"].remove(broker)
    container["env"].insert(0, broker)


def _break_migrate_on_start(docs: list[Doc]) -> None:
    container = _container(docs, "Deployment", "users")
    container["env"].append({"name": "MIGRATE_ON_START", "value": "1"})


def _break_metrics_port(docs: list[Doc]) -> None:
    container = _container(docs, "Deployment", "accounting-worker")
    container["ports"] = []


def _break_web_port(docs: list[Doc]) -> None:
    _env_entry(_container(docs, "Deployment", "accounting"), "PORT")[
        "value"
    ] = "8001"


def _break_budget(docs: list[Doc]) -> None:
    docs.remove(manifests.find(docs, "PodDisruptionBudget", "users-worker"))


def _break_budget_blocks(docs: list[Doc]) -> None:
    spec = manifests.find(docs, "PodDisruptionBudget", "users")["spec"]
    del spec["maxUnavailable"]
    spec["minAvailable"] = 2


def _break_budget_percent(docs: list[Doc]) -> None:
    spec = manifests.find(docs, "PodDisruptionBudget", "beat")["spec"]
    spec["maxUnavailable"] = "0%"


def _break_rabbitmq_budget(docs: list[Doc]) -> None:
    docs.remove(manifests.find(docs, "PodDisruptionBudget", "rabbitmq"))


def _break_cnpg_budget(docs: list[Doc]) -> None:
    manifests.find(docs, "Cluster", "accounting-db")["spec"]["enablePDB"] = (
        False
    )


def _break_beat_replicas(docs: list[Doc]) -> None:
    manifests.find(docs, "StatefulSet", "beat")["spec"]["replicas"] = 2


def _break_beat_kind(docs: list[Doc]) -> None:
    beat = manifests.find(docs, "StatefulSet", "beat")
    beat["kind"] = "Deployment"
    del beat["spec"]["podManagementPolicy"], beat["spec"]["updateStrategy"]
    beat["spec"]["strategy"] = {"type": "Recreate"}


def _break_second_beat(docs: list[Doc]) -> None:
    beat = manifests.mutated([manifests.find(docs, "StatefulSet", "beat")])[0]
    beat["metadata"]["name"] = "beat-spare"
    docs.append(beat)


def _break_beat_autoscaled(docs: list[Doc]) -> None:
    hpa = manifests.mutated(
        [manifests.find(docs, "HorizontalPodAutoscaler", "users")]
    )[0]
    hpa["metadata"]["name"] = "beat"
    hpa["spec"]["scaleTargetRef"]["name"] = "beat"
    docs.append(hpa)


def _break_hpa(docs: list[Doc]) -> None:
    docs.remove(manifests.find(docs, "HorizontalPodAutoscaler", "gateway"))


def _break_replicas(docs: list[Doc]) -> None:
    manifests.find(docs, "Deployment", "gateway")["spec"]["replicas"] = 3


def _break_migrate_job(docs: list[Doc]) -> None:
    docs.remove(manifests.find(docs, "Job", "accounting-migrate"))


def _break_policy_selector(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "users")
    policy["spec"]["podSelector"] = {
        "matchLabels": {"app.kubernetes.io/name": "user"}
    }


def _break_policy_peer(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "gateway")
    policy["spec"]["egress"][0]["to"][0]["podSelector"] = {
        "matchLabels": {"app.kubernetes.io/name": "user-service"}
    }


def _break_default_deny(docs: list[Doc]) -> None:
    docs.remove(manifests.find(docs, "NetworkPolicy", "default-deny"))


def _break_dns(docs: list[Doc]) -> None:
    docs.remove(manifests.find(docs, "NetworkPolicy", "dns-egress"))


def _break_named_port(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "prometheus-scrape")
    policy["spec"]["ingress"][0]["ports"][0]["port"] = "prometheus"


def _break_reach_db(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "users-db")
    values = policy["spec"]["ingress"][0]["from"][0]["podSelector"][
        "matchExpressions"
    ][0]["values"]
    values.append("gateway")


def _break_reach_service(docs: list[Doc]) -> None:
    # users' web pods may read accounting (the admin's panel); its worker
    # has no reason to.
    policy = manifests.find(docs, "NetworkPolicy", "accounting")
    policy["spec"]["ingress"][0]["from"].append(
        {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "users-worker"}
            }
        }
    )


def _break_ingress_from_anyone(docs: list[Doc]) -> None:
    del manifests.find(docs, "NetworkPolicy", "users")["spec"]["ingress"][0][
        "from"
    ]


def _break_egress_to_anyone(docs: list[Doc]) -> None:
    del manifests.find(docs, "NetworkPolicy", "beat")["spec"]["egress"][0]["to"]


def _break_any_namespace(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "prometheus-scrape")
    policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = {}


def _break_egress_port(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "gateway")
    policy["spec"]["egress"][0]["ports"].append(
        {"protocol": "TCP", "port": 5432}
    )


def _break_webhook_private(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "accounting-worker")
    policy["spec"]["egress"][-1]["to"][0]["ipBlock"]["except"].remove(
        "10.0.0.0/8"
    )


def _break_webhook_port(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "accounting-worker")
    policy["spec"]["egress"][-1]["ports"] = [{"protocol": "TCP", "port": 443}]


def _break_dns_cache(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "dns-egress")
    del policy["spec"]["egress"][0]["to"][1]


def _break_operator_egress(docs: list[Doc]) -> None:
    policy = manifests.find(docs, "NetworkPolicy", "rabbitmq-cluster")
    policy["spec"]["egress"][0]["ports"] = []


def _gateway_env(docs: list[Doc]) -> Doc:
    """The gateway's generated ConfigMap (its name carries a hash)."""
    return next(
        doc
        for doc in manifests.of_kind(docs, "ConfigMap")
        if doc["metadata"]["name"].startswith("gateway-env")
    )


def _break_keep_alive(docs: list[Doc]) -> None:
    _gateway_env(docs)["data"]["GATEWAY_KEEP_ALIVE"] = "60"


def _break_ingress_keepalive(docs: list[Doc]) -> None:
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ingress-nginx-controller"},
            "data": {"upstream-keepalive-timeout": "90"},
        }
    )


def _break_service(docs: list[Doc]) -> None:
    service = manifests.find(docs, "Service", "users")
    service["spec"]["ports"][0]["targetPort"] = "web"


def _break_ingress_host(docs: list[Doc]) -> None:
    ingress = manifests.find(docs, "Ingress", "gateway")
    ingress["spec"]["rules"][0]["host"] = "elsewhere.example.com"


def _break_ingress_timeout(docs: list[Doc]) -> None:
    annotations = manifests.find(docs, "Ingress", "gateway")["metadata"][
        "annotations"
    ]
    annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "60"


def _break_secret_key(docs: list[Doc]) -> None:
    container = _container(docs, "Deployment", "accounting")
    _env_entry(container, "ACCOUNTING_DATABASE_URL")["valueFrom"][
        "secretKeyRef"
    ]["key"] = "url"


def _break_schema_builtin(docs: list[Doc]) -> None:
    _container(docs, "Deployment", "gateway")["livenessProbes"] = {}


def _break_schema_unknown_kind(docs: list[Doc]) -> None:
    docs.append(
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {},
        }
    )


# (rule, break, overlay): each break must make its rule report an error.
BREAKS: list[tuple[Check, Callable[[list[Doc]], None], str]] = [
    (policies.resource_errors, _break_limits, "dev"),
    (policies.security_errors, _break_root, "dev"),
    (policies.security_errors, _break_read_only, "prod"),
    (policies.security_errors, _break_capabilities, "dev"),
    (policies.image_errors, _break_image, "dev"),
    (policies.image_errors, _break_untagged, "prod"),
    (policies.probe_errors, _break_readiness, "dev"),
    (policies.probe_errors, _break_startup, "prod"),
    (policies.probe_errors, _break_probe_port, "prod"),
    (policies.probe_errors, _break_probe_host, "dev"),
    (policies.probe_errors, _break_redis_probe_port, "prod"),
    (policies.liveness_errors, _break_liveness_timeout, "dev"),
    (policies.liveness_errors, _break_liveness_failures, "prod"),
    (policies.shutdown_errors, _break_grace, "dev"),
    (policies.shutdown_errors, _break_pre_stop, "prod"),
    (policies.shutdown_errors, _break_worker_grace, "prod"),
    (policies.environment_errors, _break_required_env, "dev"),
    (policies.environment_errors, _break_jwt_key, "prod"),
    (policies.environment_errors, _break_database_url, "dev"),
    (policies.environment_errors, _break_channel_layer, "prod"),
    (policies.environment_errors, _break_env_order, "dev"),
    (policies.environment_errors, _break_least_privilege, "prod"),
    (policies.environment_errors, _break_migrate_on_start, "dev"),
    (policies.metrics_port_errors, _break_metrics_port, "prod"),
    (policies.web_port_errors, _break_web_port, "dev"),
    (policies.disruption_budget_errors, _break_budget, "dev"),
    (policies.disruption_budget_errors, _break_budget_blocks, "prod"),
    (policies.disruption_budget_errors, _break_budget_percent, "dev"),
    (policies.disruption_budget_errors, _break_rabbitmq_budget, "prod"),
    (policies.disruption_budget_errors, _break_cnpg_budget, "prod"),
    (policies.beat_errors, _break_beat_replicas, "dev"),
    (policies.beat_errors, _break_beat_kind, "prod"),
    (policies.beat_errors, _break_second_beat, "dev"),
    (policies.beat_errors, _break_beat_autoscaled, "prod"),
    (policies.scaling_errors, _break_hpa, "dev"),
    (policies.scaling_errors, _break_replicas, "prod"),
    (policies.migration_errors, _break_migrate_job, "prod"),
    (policies.network_policy_errors, _break_policy_selector, "dev"),
    (policies.network_policy_errors, _break_policy_peer, "prod"),
    (policies.network_policy_errors, _break_default_deny, "dev"),
    (policies.network_policy_errors, _break_dns, "prod"),
    (policies.network_policy_errors, _break_named_port, "dev"),
    (policies.reach_errors, _break_reach_db, "dev"),
    (policies.reach_errors, _break_reach_service, "prod"),
    (policies.reach_errors, _break_ingress_from_anyone, "dev"),
    (policies.reach_errors, _break_egress_to_anyone, "prod"),
    (policies.reach_errors, _break_any_namespace, "dev"),
    (policies.reach_errors, _break_egress_port, "prod"),
    (policies.reach_errors, _break_webhook_private, "prod"),
    (policies.reach_errors, _break_webhook_port, "dev"),
    (policies.reach_errors, _break_dns_cache, "dev"),
    (policies.reach_errors, _break_operator_egress, "prod"),
    (policies.keep_alive_errors, _break_keep_alive, "dev"),
    (policies.keep_alive_errors, _break_ingress_keepalive, "prod"),
    (policies.service_errors, _break_service, "dev"),
    (policies.secret_key_errors, _break_secret_key, "dev"),
    (policies.schema_errors, _break_schema_builtin, "dev"),
    (policies.schema_errors, _break_schema_unknown_kind, "prod"),
]

RULES: list[Check] = [
    policies.resource_errors,
    policies.security_errors,
    policies.image_errors,
    policies.probe_errors,
    policies.liveness_errors,
    policies.shutdown_errors,
    policies.environment_errors,
    policies.metrics_port_errors,
    policies.web_port_errors,
    policies.disruption_budget_errors,
    policies.beat_errors,
    policies.scaling_errors,
    policies.migration_errors,
    policies.network_policy_errors,
    policies.reach_errors,
    policies.keep_alive_errors,
    policies.service_errors,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_rule_holds(rule: Check, docs: list[Doc]) -> None:
    assert rule(docs) == []


@pytest.mark.parametrize(
    ("rule", "breaker", "overlay_name"),
    BREAKS,
    ids=[f"{rule.__name__}-{breaker.__name__}" for rule, breaker, _ in BREAKS],
)
def test_rule_catches_its_break(
    rule: Check, breaker: Callable[[list[Doc]], None], overlay_name: str
) -> None:
    docs = manifests.render(overlay_name)
    assert rule(docs) == []
    breaker(docs)
    assert rule(docs) != []


def test_every_rule_is_shown_to_fail() -> None:
    broken = {rule for rule, _, _ in BREAKS}
    assert (
        set(RULES) | {policies.secret_key_errors, policies.schema_errors}
        == broken
    )


def test_ingress_dev(dev: list[Doc]) -> None:
    assert policies.ingress_errors(dev, tls=False) == []
    _break_ingress_host(dev)
    assert policies.ingress_errors(dev, tls=False) != []


def test_ingress_prod_has_tls(prod: list[Doc]) -> None:
    assert policies.ingress_errors(prod, tls=True) == []
    _break_ingress_timeout(prod)
    assert policies.ingress_errors(prod, tls=True) != []
    del manifests.find(prod, "Ingress", "gateway")["spec"]["tls"]
    assert any(
        "without TLS" in e for e in policies.ingress_errors(prod, tls=True)
    )


def test_dev_creates_every_secret_key_it_references(dev: list[Doc]) -> None:
    assert policies.secret_key_errors(dev) == []


# Read by prod only: KEDA's connection to the broker and the Ingress's
# certificate (README.md: secrets).
PROD_ONLY_SECRETS = {("rabbitmq-keda", "host"), ("gateway-tls", "tls.crt")}


def test_prod_renders_no_secret_and_references_dev_s_keys(
    dev: list[Doc], prod: list[Doc]
) -> None:
    assert manifests.of_kind(prod, "Secret") == []
    # dev's Secret names carry kustomize's hash suffix; prod's do not.
    dev_references = {
        (name.rsplit("-", 1)[0], key)
        for name, key in policies.secret_references(dev)
    }
    prod_references = policies.secret_references(prod)
    assert prod_references - PROD_ONLY_SECRETS <= dev_references
    assert PROD_ONLY_SECRETS <= prod_references


def test_prod_needs_no_staff_secret(dev: list[Doc], prod: list[Doc]) -> None:
    def staff(docs: list[Doc]) -> set[tuple[str, str]]:
        return {
            (name, key)
            for name, key in policies.secret_references(docs)
            if key.startswith("STAFF_")
        }

    assert staff(prod) == set()
    # dev's Jobs seed the staff account from their own service's Secret.
    assert {(name.rsplit("-", 1)[0], key) for name, key in staff(dev)} == {
        (f"{service}-secrets", key)
        for service in ("users", "accounting")
        for key in ("STAFF_EMAIL", "STAFF_PASSWORD")
    }


# The flag as both docker/entrypoint-web.sh and the Procfile pass it.
KEEP_ALIVE_FLAG = '--timeout-keep-alive "${GATEWAY_KEEP_ALIVE:-5}"'


def test_make_run_keeps_alive_as_the_image_does() -> None:
    procfile = (manifests.REPO_DIR / "Procfile").read_text().splitlines()
    gateway = next(line for line in procfile if line.startswith("gateway:"))
    assert KEEP_ALIVE_FLAG in gateway
    assert KEEP_ALIVE_FLAG in policies.ENTRYPOINT_WEB.read_text()


def test_keep_alive_rule_reads_the_entrypoint(
    dev: list[Doc], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entrypoint = tmp_path / "entrypoint-web.sh"
    text = policies.ENTRYPOINT_WEB.read_text()
    entrypoint.write_text(text.replace(KEEP_ALIVE_FLAG, ""))
    monkeypatch.setattr(policies, "ENTRYPOINT_WEB", entrypoint)
    assert policies.keep_alive_errors(dev) == [
        "entrypoint-web.sh: uvicorn gets no --timeout-keep-alive"
    ]
    # Unset in the Deployment, the entrypoint's default (5 s) is too short.
    entrypoint.write_text(text)
    del _gateway_env(dev)["data"]["GATEWAY_KEEP_ALIVE"]
    assert policies.keep_alive_errors(dev) == [
        "gateway: GATEWAY_KEEP_ALIVE=5 s <= ingress-nginx's "
        "upstream-keepalive-timeout 60 s"
    ]


def test_dev_images_take_the_build_tag_as_the_readme_sets_it() -> None:
    # deploy/k8s/README.md (dev): sed "s|image: savings-platform:dev$|...|".
    tagged = re.sub(
        r"image: savings-platform:dev$",
        "image: savings-platform:dev-20260101120000",
        manifests.rendered("dev"),
        flags=re.MULTILINE,
    )
    docs = [doc for doc in yaml.safe_load_all(tagged) if doc]
    images = {
        container["image"] for _, container in manifests.app_containers(docs)
    }
    assert images == {"savings-platform:dev-20260101120000"}
