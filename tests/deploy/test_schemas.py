"""Every rendered document validates against its schema, strictly."""

from tests.deploy import policies
from tests.deploy.manifests import Doc


def test_every_document_validates(docs: list[Doc]) -> None:
    assert policies.schema_errors(docs) == []


def test_custom_resources_have_their_schema(prod: list[Doc]) -> None:
    kinds = {doc["kind"] for doc in prod}
    assert {
        "Cluster",
        "RabbitmqCluster",
        "ScaledObject",
        "TriggerAuthentication",
        "PodMonitor",
    } <= kinds


def test_schema_refuses_an_unknown_field_of_a_custom_resource(
    prod: list[Doc],
) -> None:
    cluster = next(doc for doc in prod if doc["kind"] == "Cluster")
    cluster["spec"]["instance"] = 3
    errors = policies.schema_errors(prod)
    assert len(errors) == 1
    assert "instance" in errors[0]


def test_schema_refuses_a_rabbitmq_trigger_without_a_queue(
    prod: list[Doc],
) -> None:
    scaled = next(doc for doc in prod if doc["kind"] == "ScaledObject")
    del scaled["spec"]["triggers"][0]["metadata"]["queueName"]
    assert policies.schema_errors(prod) != []
