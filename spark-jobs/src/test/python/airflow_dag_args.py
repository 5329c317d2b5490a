#!/usr/bin/env python3
"""Reads conf/airflow without Airflow (ast only) and prints, as JSON, what AirflowDagsTest checks:

    {"jobs": {"tokenize": [args...], ...}, "pipeline": [...],
     "dag_args": {"keys": ["schedule", ...], "default_args": ["retries", ...]},
     "dags": {"cellspark_emr.py": {"options": ["--class", ...], "uses": ["JOBS", "PIPELINE", ...],
                                   "operators": ["EmrAddStepsOperator", ...],
                                   "operator_keywords": [["task_id", ...], ...]}, ...}}

jobs: the literal JOBS dict of cellspark_jobs.py; per DAG file: every string literal that starts
with "--" (spark-submit's own options may appear there, job options must not), the names it
imports from cellspark_jobs, and the operator classes it calls. A syntax error fails the script.

    /usr/bin/python3 spark-jobs/src/test/python/airflow_dag_args.py conf/airflow
"""
import ast
import json
import os
import sys


def literal(tree, name):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit("no literal %s" % name)


def dict_keys(tree, name):
    """The keys of the dict literal assigned to name (values may be any expression), and of its
    nested "default_args" dict."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            keys = [k.value for k in node.value.keys]
            nested = [v for k, v in zip(node.value.keys, node.value.values) if k.value == "default_args"]
            return {"keys": keys, "default_args": [k.value for k in nested[0].keys] if nested else []}
    raise SystemExit("no dict %s" % name)


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "cellspark_jobs.py")) as f:
        jobs_tree = ast.parse(f.read())
    out = {"jobs": literal(jobs_tree, "JOBS"), "pipeline": literal(jobs_tree, "PIPELINE"),
           "dag_args": dict_keys(jobs_tree, "DAG_ARGS"), "dags": {}}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py") or name == "cellspark_jobs.py":
            continue
        with open(os.path.join(folder, name)) as f:
            tree = ast.parse(f.read(), filename=name)
        options, uses, operators, keywords = [], [], [], []
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("--"):
                options.append(node.value)
            if isinstance(node, ast.ImportFrom) and node.module == "cellspark_jobs":
                uses += [a.name for a in node.names]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.endswith(("Operator", "Sensor")):
                operators.append(node.func.id)
                keywords.append([k.arg for k in node.keywords])
        out["dags"][name] = {"options": sorted(set(options)), "uses": uses, "operators": operators,
                             "operator_keywords": keywords}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
