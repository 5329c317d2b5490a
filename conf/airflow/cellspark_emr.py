"""Cellspark as steps on a running EMR cluster (Airflow variable `emr_cluster_id`), one step per
job, each waited for before the next (docs/run-on-emr.md)."""
from datetime import datetime

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.providers.amazon.aws.operators.emr import EmrAddStepsOperator
from airflow.providers.amazon.aws.sensors.emr import EmrStepSensor

from cellspark_jobs import DAG_ARGS, JOBS, MAIN_CLASS, PARAMS, PIPELINE, SPARK_CONF

CLUSTER = "{{ var.value.emr_cluster_id }}"


def step(name):
    submit = ["spark-submit", "--deploy-mode", "cluster", "--class", MAIN_CLASS, "--jars", "{{ params.libtorch_jar }}"]
    for key, value in SPARK_CONF.items():
        submit += ["--conf", "%s=%s" % (key, value)]
    return {
        "Name": "cellspark " + name,
        "ActionOnFailure": "CANCEL_AND_WAIT",
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": submit + ["{{ params.app_jar }}"] + JOBS[name]},
    }


def add_and_wait(name):
    add = EmrAddStepsOperator(task_id="add_" + name, job_flow_id=CLUSTER, steps=[step(name)])
    wait = EmrStepSensor(task_id="wait_" + name, job_flow_id=CLUSTER,
                         step_id="{{ task_instance.xcom_pull(task_ids='add_%s')[0] }}" % name)
    return [add, wait]


with DAG(dag_id="cellspark_emr", start_date=datetime(2026, 1, 1), params=PARAMS, **DAG_ARGS) as dag:
    chain(*[task for name in PIPELINE for task in add_and_wait(name)])
