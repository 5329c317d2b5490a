"""Cellspark as steps on a running EMR cluster (Airflow variable `emr_cluster_id`), one task per
job that adds the step and waits for it, so that a retry adds the step again (each job is safe to
run again: cellspark_jobs.py). A failed step does not cancel the cluster's other steps
(ActionOnFailure CONTINUE): the DAG stops at the failed task (docs/run-on-emr.md)."""
from datetime import datetime

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator

from cellspark_jobs import DAG_ARGS, EXECUTION_TIMEOUT, JOBS, MAIN_CLASS, PARAMS, PIPELINE, SPARK_CONF

CLUSTER = "{{ var.value.emr_cluster_id }}"
POLL_SECONDS = 60


def step(name):
    submit = ["spark-submit", "--deploy-mode", "cluster", "--class", MAIN_CLASS, "--jars", "{{ params.libtorch_jar }}"]
    for key, value in SPARK_CONF.items():
        submit += ["--conf", "%s=%s" % (key, value)]
    return {
        "Name": "cellspark " + name,
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": submit + ["{{ params.app_jar }}"] + JOBS[name]},
    }


def add_and_wait(name):
    timeout = EXECUTION_TIMEOUT[name]
    return EmrAddStepsOperator(task_id=name, job_flow_id=CLUSTER, steps=[step(name)], wait_for_completion=True,
                               waiter_delay=POLL_SECONDS,
                               waiter_max_attempts=int(timeout.total_seconds() // POLL_SECONDS),
                               execution_timeout=timeout)


with DAG(dag_id="cellspark_emr", start_date=datetime(2026, 1, 1), params=PARAMS, **DAG_ARGS) as dag:
    chain(*[add_and_wait(name) for name in PIPELINE])
