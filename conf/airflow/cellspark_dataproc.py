"""Cellspark as Spark jobs on a running Dataproc cluster (Airflow variables `gcp_project`,
`dataproc_region`, `dataproc_cluster`), one job per step (docs/run-on-dataproc.md)."""
from datetime import datetime

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.providers.google.cloud.operators.dataproc import DataprocSubmitJobOperator

from cellspark_jobs import DAG_ARGS, EXECUTION_TIMEOUT, JOBS, MAIN_CLASS, PARAMS, PIPELINE, SPARK_CONF

GCS_PARAMS = dict(PARAMS, app_jar="gs://my-bucket/cellspark/cellspark-app-0.1.0-SNAPSHOT.jar",
                  libtorch_jar="gs://my-bucket/cellspark/pytorch-native-cpu-2.7.1-linux-x86_64.jar",
                  atlas="gs://my-bucket/atlases/heart/", workdir="gs://my-bucket/cellspark/heart")


def job(name):
    return {
        "reference": {"project_id": "{{ var.value.gcp_project }}"},
        "placement": {"cluster_name": "{{ var.value.dataproc_cluster }}"},
        "spark_job": {
            "main_class": MAIN_CLASS,
            "jar_file_uris": ["{{ params.app_jar }}", "{{ params.libtorch_jar }}"],
            "args": JOBS[name],  # the command first, then its options
            "properties": SPARK_CONF,
        },
    }


with DAG(dag_id="cellspark_dataproc", start_date=datetime(2026, 1, 1), params=GCS_PARAMS, **DAG_ARGS) as dag:
    chain(*[
        # Waits for the job (synchronous); a retry submits it again, which each job allows.
        DataprocSubmitJobOperator(task_id=name, project_id="{{ var.value.gcp_project }}",
                                  region="{{ var.value.dataproc_region }}", job=job(name),
                                  execution_timeout=EXECUTION_TIMEOUT[name])
        for name in PIPELINE
    ])
