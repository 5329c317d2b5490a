"""Cellspark on any Spark cluster Airflow can spark-submit to (connection `spark_default`)."""
from datetime import datetime

from airflow import DAG
from airflow.models.baseoperator import chain
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

from cellspark_jobs import DAG_ARGS, EXECUTION_TIMEOUT, JOBS, MAIN_CLASS, PARAMS, PIPELINE, SPARK_CONF

with DAG(dag_id="cellspark_spark_submit", start_date=datetime(2026, 1, 1), params=PARAMS, **DAG_ARGS) as dag:
    chain(*[
        SparkSubmitOperator(
            task_id=name,
            conn_id="spark_default",
            application="{{ params.app_jar }}",
            java_class=MAIN_CLASS,
            jars="{{ params.libtorch_jar }}",
            conf=SPARK_CONF,
            application_args=JOBS[name],
            execution_timeout=EXECUTION_TIMEOUT[name],
        )
        for name in PIPELINE
    ])
