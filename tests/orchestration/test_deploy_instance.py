"""The Kubernetes deployment's Dagster instance (deploy/dagster.yaml): it loads with the `k8s`
extra installed, and configures the K8sRunLauncher, PostgreSQL storage and the warehouse pool.
No cluster or database exists here, so the classes' config is validated, not connected."""

import importlib

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config

from orchestration.settings import REPO_ROOT

pytest.importorskip("dagster_k8s", reason="the k8s extra (dagster-k8s) is not installed")
pytest.importorskip("dagster_postgres", reason="the k8s extra (dagster-postgres) is not installed")

DEPLOY = REPO_ROOT / "deploy"
ENV = {
    "DAGSTER_PG_HOST": "postgres",
    "DAGSTER_PG_USERNAME": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-secret",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_K8S_NAMESPACE": "journeys",
}


@pytest.fixture
def instance_config(monkeypatch) -> dict:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    config, _ = dagster_instance_config(str(DEPLOY), config_filename="dagster.yaml")
    return config


def _class_config(section: dict) -> tuple[type, dict]:
    cls = getattr(importlib.import_module(section["module"]), section["class"])
    result = process_config(cls.config_type(), section.get("config", {}))
    assert result.success, result.errors
    return cls, result.value


def test_the_run_launcher_is_the_k8s_run_launcher_with_the_settings_and_the_judge_secret(instance_config):
    cls, config = _class_config(instance_config["run_launcher"])
    assert cls.__name__ == "K8sRunLauncher"
    assert config["job_namespace"] == "journeys"
    assert config["instance_config_map"] == "dagster-instance"
    assert config["env_config_maps"] == ["journeys-settings"]
    assert config["env_secrets"] == ["journeys-judge"]


def test_run_and_event_storage_are_postgres(instance_config):
    from dagster_postgres import DagsterPostgresStorage

    assert set(instance_config["storage"]) == {"postgres"}
    result = process_config(DagsterPostgresStorage.config_type(), instance_config["storage"]["postgres"])
    assert result.success, result.errors
    assert result.value["postgres_db"]["hostname"] == "postgres"
    assert result.value["postgres_db"]["password"] == "not-a-secret"


def test_the_warehouse_pool_admits_one_op_at_a_time_and_dead_runs_free_it(instance_config):
    assert instance_config["concurrency"]["pools"] == {"granularity": "op", "default_limit": 1}
    assert instance_config["run_monitoring"]["enabled"] is True


def test_the_helm_values_match_the_instance():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert [s["name"] for s in launcher["envSecrets"]] == ["journeys-judge"]
    assert values["postgresql"]["enabled"] is False
    assert values["dagsterDaemon"]["enabled"] is True
    assert values["concurrency"]["pools"]["defaultLimit"] == 1
