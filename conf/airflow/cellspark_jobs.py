"""The Cellspark pipeline the DAGs in this folder run: tokenize -> embed -> perturb -> stats.

Each job is the `cellspark` command line after the application jar (docs/spark-submit.md), as a
literal list so that a test (AirflowDagsTest) can check every option against the CLI, and run the
whole list twice on fixture data, without Airflow installed. Paths are Airflow templates over the
DAG's params; edit them here, once, for all three DAGs (spark-submit, EMR, Dataproc).

Every task may run again for the same DAG run (a retry, a cleared task, a re-triggered DAG writing
the same workdir), and each job was chosen to be safe then:
  tokenize, embed, stats  replace their output (--overwrite): they are deterministic, and a task
                          run again after its input changed must not keep a stale result;
  perturb                 resumes (--resume --overwrite): a screen is the expensive step, so an
                          output that already holds this very screen (same options, model, state
                          vectors, cells and tokens) is kept and the task finishes at once; a
                          stopped screen resumes from its checkpoints; another screen is replaced.
"""
from datetime import timedelta

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
        "--resume",
        "--overwrite",
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
    # On YARN, one attempt per task try: this DAG's retries run a failed job again, and YARN's own
    # second attempt would first repeat it inside the same try (a refusal of the input twice).
    "spark.yarn.maxAppAttempts": "1",
}

MAIN_CLASS = "org.cellspark.cli.Main"

# How long each job may run before Airflow stops it (and retries it): generous for an atlas of
# millions of cells on a modest cluster; a screen of every gene is the long one.
EXECUTION_TIMEOUT = {
    "tokenize": timedelta(hours=4),
    "embed": timedelta(hours=12),
    "perturb": timedelta(hours=72),
    "stats": timedelta(hours=2),
}

# What every Cellspark DAG shares: run by hand (or by a trigger), never backfilled; one run at a
# time (two runs would write the same workdir); a failed task is retried twice, five minutes
# apart (each job is safe to run again, see above).
DAG_ARGS = {
    "schedule": None,
    "catchup": False,
    "max_active_runs": 1,
    "tags": ["cellspark"],
    "default_args": {"retries": 2, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": True},
}

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
