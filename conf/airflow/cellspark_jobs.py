"""The Cellspark pipeline the DAGs in this folder run: tokenize -> embed -> perturb -> stats.

Each job is the `cellspark` command line after the application jar (docs/spark-submit.md), as a
literal list so that a test (AirflowDagsTest) can check every option against the CLI without
Airflow installed. Paths are Airflow templates over the DAG's params; edit them here, once, for
all three DAGs (spark-submit, EMR, Dataproc).
"""

PIPELINE = ["tokenize", "embed", "perturb", "stats"]

JOBS = {
    "tokenize": [
        "tokenize",
        "--input", "{{ params.atlas }}",
        "--vocabulary", "builtin:geneformer-v1",
        "--attribute", "cell_type",
        "--output", "{{ params.workdir }}/tokens",
        "--overwrite",
    ],
    "embed": [
        "embed",
        "--input", "{{ params.workdir }}/tokens",
        "--model", "{{ params.model }}",
        "--summary", "mean",
        "--by", "cell_type",
        "--output", "{{ params.workdir }}/embeddings",
        "--overwrite",
    ],
    "perturb": [
        "perturb",
        "--input", "{{ params.workdir }}/tokens",
        "--model", "{{ params.model }}",
        "--perturbation", "delete",
        "--genes", "{{ params.genes }}",
        "--states", "cell_type:start={{ params.start_state }},goal={{ params.goal_state }}",
        "--state-embeddings", "{{ params.workdir }}/embeddings",
        "--output", "{{ params.workdir }}/screen",
    ],
    "stats": [
        "stats",
        "--input", "{{ params.workdir }}/screen",
        "--mode", "goal-state-shift",
        "--output", "{{ params.workdir }}/stats",
        "--overwrite",
    ],
}

# spark-submit settings every job takes (docs/spark-submit.md); GPU clusters add
# conf/emr/spark-defaults-gpu.conf or conf/dataproc/spark-defaults-gpu.conf on the cluster.
SPARK_CONF = {
    "spark.executorEnv.DJL_OFFLINE": "true",
    "spark.executorEnv.OPT_OUT_TRACKING": "true",
    "spark.executor.extraJavaOptions": "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1",
}

MAIN_CLASS = "org.cellspark.cli.Main"

# What every Cellspark DAG shares: run by hand (or by a trigger), never backfilled.
DAG_ARGS = {"schedule": None, "catchup": False, "tags": ["cellspark"]}

PARAMS = {
    "atlas": "s3a://my-bucket/atlases/heart/",
    "workdir": "s3a://my-bucket/cellspark/heart",
    "model": "/opt/cellspark/models/Geneformer-V1-10M",
    "genes": "all",
    "start_state": "dcm",
    "goal_state": "nf",
    "app_jar": "s3://my-bucket/cellspark/cellspark-app-0.1.0-SNAPSHOT.jar",
    "libtorch_jar": "s3://my-bucket/cellspark/pytorch-native-cpu-2.7.1-linux-x86_64.jar",
}
