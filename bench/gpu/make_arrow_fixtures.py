#!/usr/bin/env python3
"""Hugging Face datasets written by the Python tools themselves, for Cellspark's `.dataset` reader
(spark-jobs io.arrow), on a machine that has them (the GPU machine has pyarrow; datasets if
installed). The build machines have neither, so the committed fixtures under
spark-jobs/src/test/resources/fixtures/hf were written with Apache Arrow's JavaScript library;
these are the same cells written by pyarrow (and by datasets' own save_to_disk when importable),
to be committed beside them and read by the same tests:

    python3 bench/gpu/make_arrow_fixtures.py OUT [--check DATASET]

Writes OUT/pyarrow/v2_tokens.dataset (pyarrow's RecordBatchStreamWriter as datasets' ArrowWriter
uses it: the features in the schema's "huggingface" metadata, record batches of 8 rows, two
contiguous shards, state.json, dataset_info.json) and, with datasets, OUT/datasets/v2_tokens.dataset
(Dataset.from_dict(...).save_to_disk(..., num_shards=2)). Cells: expected.json's V2 tokens in its
order, with cell_type, donor and the barcode as cell_barcode, as upstream's tokenizer keeps
attributes. Prints the versions used.

--check DATASET opens a dataset `cellspark tokenize --output-format dataset` wrote (bench/gpu/
test-jars.sh makes one in .gpu-tests/written.dataset) as upstream's classes would: each file with
pyarrow's stream reader, its types against those datasets gives these features, and with datasets
installed load_from_disk itself. Prints what it found and CHECK OK, or CHECK FAILED and why.
"""
import json
import os
import sys

try:
    import pyarrow as pa
except ImportError:  # the build machines: nothing to do here
    print("pyarrow is not installed: no fixtures written, nothing checked")
    sys.exit(0)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPECTED = os.path.join(ROOT, "spark-jobs/src/test/resources/fixtures/atlas/expected.json")


def cells():
    with open(EXPECTED) as f:
        expected = json.load(f)
    obs = {c["cell_id"]: c["obs"] for c in expected["cells"]}
    tokens = expected["v2"]["tokens"]
    return {
        "input_ids": [tokens[c] for c in tokens],
        "length": [len(tokens[c]) for c in tokens],
        "cell_type": [obs[c]["cell_type"] for c in tokens],
        "donor": [obs[c]["donor"] for c in tokens],
        "cell_barcode": list(tokens),
    }


FEATURES = {
    "input_ids": {"feature": {"dtype": "int64", "_type": "Value"}, "_type": "Sequence"},
    "length": {"dtype": "int64", "_type": "Value"},
    "cell_type": {"dtype": "string", "_type": "Value"},
    "donor": {"dtype": "string", "_type": "Value"},
    "cell_barcode": {"dtype": "string", "_type": "Value"},
}


def with_pyarrow(out):
    data = cells()
    schema = pa.schema(
        [
            ("input_ids", pa.list_(pa.int64())),
            ("length", pa.int64()),
            ("cell_type", pa.string()),
            ("donor", pa.string()),
            ("cell_barcode", pa.string()),
        ],
        metadata={"huggingface": json.dumps({"info": {"features": FEATURES}})},
    )
    table = pa.table(data, schema=schema)
    os.makedirs(out, exist_ok=True)
    n = table.num_rows
    per_shard = (n + 1) // 2
    files = []
    for s in range(2):
        name = f"data-{s:05d}-of-00002.arrow"
        shard = table.slice(s * per_shard, per_shard)
        with pa.OSFile(os.path.join(out, name), "wb") as sink:
            with pa.RecordBatchStreamWriter(sink, schema) as writer:
                writer.write_table(shard, max_chunksize=8)
        files.append({"filename": name})
    state = {
        "_data_files": files,
        "_fingerprint": "cellspark-pyarrow-fixture",
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": None,
    }
    with open(os.path.join(out, "state.json"), "w") as f:
        json.dump(state, f, indent=2, sort_keys=True)
    with open(os.path.join(out, "dataset_info.json"), "w") as f:
        json.dump({"citation": "", "description": "", "features": FEATURES}, f, indent=2)
    print(f"{out}: {n} cells, pyarrow {pa.__version__}")


def with_datasets(out):
    try:
        import datasets
    except ImportError:
        print("datasets is not installed: only the pyarrow-written dataset")
        return
    ds = datasets.Dataset.from_dict(cells())
    ds.save_to_disk(out, num_shards=2)
    print(f"{out}: {len(ds)} cells, datasets {datasets.__version__}")


def check(path):
    if not os.path.isdir(path):
        print(f"CHECK SKIPPED: no {path}")
        return
    with open(os.path.join(path, "state.json")) as f:
        state = json.load(f)
    with open(os.path.join(path, "dataset_info.json")) as f:
        info = json.load(f)
    want = {
        "cell_id": pa.string(),
        "input_ids": pa.list_(pa.int32()),
        "length": pa.int32(),
        "n_counts": pa.float64(),
        "source": pa.string(),
        "cell_type": pa.string(),
    }
    problems = []
    rows = 0
    for entry in state["_data_files"]:
        with pa.OSFile(os.path.join(path, entry["filename"]), "rb") as source:
            table = pa.ipc.open_stream(source).read_all()
        rows += table.num_rows
        got = {field.name: field.type for field in table.schema}
        if got != want:
            problems.append(f"{entry['filename']}: types {got}, want {want}")
        meta = json.loads(table.schema.metadata[b"huggingface"])
        if meta["info"]["features"] != info["features"]:
            problems.append(f"{entry['filename']}: schema features differ from dataset_info.json")
    print(f"{path}: {rows} rows in {len(state['_data_files'])} files (pyarrow {pa.__version__})")
    try:
        import datasets
    except ImportError:
        print("datasets is not installed: load_from_disk not tried")
    else:
        try:
            ds = datasets.load_from_disk(path)
            print(f"load_from_disk (datasets {datasets.__version__}): {len(ds)} rows, {ds.features}")
            print(f"first row: {ds[0]}")
            if len(ds) != rows:
                problems.append(f"load_from_disk has {len(ds)} rows, the files {rows}")
        except Exception as e:  # noqa: BLE001 - what datasets says is the finding
            problems.append(f"load_from_disk failed: {type(e).__name__}: {e}")
    print("CHECK OK" if not problems else "CHECK FAILED\n" + "\n".join(problems))


if __name__ == "__main__":
    base = sys.argv[1]
    with_pyarrow(os.path.join(base, "pyarrow", "v2_tokens.dataset"))
    with_datasets(os.path.join(base, "datasets", "v2_tokens.dataset"))
    if "--check" in sys.argv:
        check(sys.argv[sys.argv.index("--check") + 1])
