// Writes token tables as upstream Geneformer's tokenizer leaves them: a Hugging Face dataset saved
// with `Dataset.save_to_disk` (an Arrow IPC *stream* per shard, `data-0000i-of-0000n.arrow`, the
// dataset's features in the schema's "huggingface" metadata, plus state.json and
// dataset_info.json). Python's `datasets` and `pyarrow` are not installable here, so the Arrow
// files are written with Apache Arrow's JavaScript implementation, an implementation of the same
// IPC format independent of the Java one Cellspark reads with.
//
//   cd spark-jobs/src/test/node && npm install && node make_hf_datasets.mjs
//
// Input: the tokens the tokenizer must produce for csr_float32_gzip.h5ad and the cells' attributes
// (fixtures/atlas/expected.json, itself computed independently of the Java code). Output:
// fixtures/hf/v2_tokens.dataset and fixtures/hf/v1_tokens.dataset, the cells in expected.json's
// order, each in two shards written as record batches of 8 rows (datasets' writer_batch_size),
// with the attributes as the tokenizer's custom_attr_name_dict keeps them, typed as pyarrow types
// Python values: ints int64, floats float64 (score float32, as from a float32 obs column), bools,
// strings, nulls kept, and a column that is null in every cell as Arrow's null type. No cell_id
// column: upstream keeps only the attributes it is asked for; the V2 dataset keeps the barcode as
// `cell_barcode`, the V1 dataset as `cell_id` (a user who named it so).
import * as A from 'apache-arrow';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../resources/fixtures');
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'atlas/expected.json'), 'utf8'));
const BATCH_ROWS = 8;
const SHARDS = 2;

const int64List = new A.List(new A.Field('item', new A.Int64(), true));
const value = (dtype) => ({ dtype, _type: 'Value' });

function columnsFor(barcodeColumn) {
  // name, Arrow type, datasets feature, value of a cell (cell = {id, tokens, obs})
  return [
    ['input_ids', int64List, { feature: value('int64'), _type: 'Sequence' },
      (c) => c.tokens.map(BigInt)],
    ['length', new A.Int64(), value('int64'), (c) => BigInt(c.tokens.length)],
    ['cell_type', new A.Utf8(), value('string'), (c) => c.obs.cell_type],
    ['donor', new A.Utf8(), value('string'), (c) => c.obs.donor],
    ['age', new A.Int64(), value('int64'), (c) => BigInt(c.obs.age)],
    ['batch', new A.Int64(), value('int64'), (c) => (c.obs.batch == null ? null : BigInt(c.obs.batch))],
    ['flag', new A.Bool(), value('bool'), (c) => c.obs.flag],
    ['is_control', new A.Bool(), value('bool'), (c) => c.obs.is_control],
    ['n_counts', new A.Float64(), value('float64'), (c) => c.obs.n_counts],
    ['score', new A.Float32(), value('float32'), (c) => c.obs.score],
    ['note', new A.Null(), value('null'), () => null],
    [barcodeColumn, new A.Utf8(), value('string'), (c) => c.id],
  ];
}

function recordBatch(schema, columns, cells) {
  const children = columns.map(([, type, , get]) => {
    const b = A.makeBuilder({ type, nullValues: [null, undefined] });
    for (const c of cells) b.append(get(c));
    return b.finish().toVector().data[0];
  });
  return new A.RecordBatch(
    schema,
    A.makeData({ type: new A.Struct(schema.fields), length: cells.length, nullCount: 0, children }),
  );
}

function table(tokens, barcodeColumn) {
  const obs = Object.fromEntries(expected.cells.map((c) => [c.cell_id, c.obs]));
  const cells = Object.keys(tokens).map((id) => ({ id, tokens: tokens[id], obs: obs[id] }));
  const columns = columnsFor(barcodeColumn);
  const features = Object.fromEntries(columns.map(([n, , f]) => [n, f]));
  const metadata = new Map([['huggingface', JSON.stringify({ info: { features } })]]);
  const schema = new A.Schema(columns.map(([n, t]) => new A.Field(n, t, true)), metadata);
  const batches = (part) => {
    const out = [];
    for (let i = 0; i < part.length; i += BATCH_ROWS) {
      out.push(recordBatch(schema, columns, part.slice(i, i + BATCH_ROWS)));
    }
    return new A.Table(schema, out);
  };
  return { cells, features, batches };
}

function write(name, tokens, barcodeColumn) {
  const { cells, features, batches } = table(tokens, barcodeColumn);

  const dir = path.join(fixtures, 'hf', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  const perShard = Math.ceil(cells.length / SHARDS); // datasets' contiguous shards
  for (let s = 0; s < SHARDS; s++) {
    const shard = cells.slice(s * perShard, (s + 1) * perShard);
    const file = `data-${String(s).padStart(5, '0')}-of-${String(SHARDS).padStart(5, '0')}.arrow`;
    fs.writeFileSync(path.join(dir, file), A.tableToIPC(batches(shard), 'stream'));
    files.push({ filename: file });
  }
  const state = {
    _data_files: files,
    _fingerprint: `cellspark-fixture-${name}`,
    _format_columns: null,
    _format_kwargs: {},
    _format_type: null,
    _output_all_columns: false,
    _split: null,
  };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  const info = {
    builder_name: null, citation: '', config_name: null, dataset_name: null, dataset_size: null,
    description: '', download_checksums: null, download_size: null, features, homepage: '',
    license: '', size_in_bytes: null, splits: null, supervised_keys: null, version: null,
  };
  fs.writeFileSync(path.join(dir, 'dataset_info.json'), JSON.stringify(info, null, 2));
  console.log(`${dir}: ${cells.length} cells in ${files.length} shards`);
}

// The same V1 cells as one Arrow IPC *file* (the random-access format: pyarrow.ipc.new_file,
// Feather V2), which Cellspark refuses with a pointer to Parquet.
function writeFile(name, tokens, barcodeColumn) {
  const { cells, batches } = table(tokens, barcodeColumn);
  fs.writeFileSync(path.join(fixtures, 'hf', name), A.tableToIPC(batches(cells), 'file'));
  console.log(`${name}: ${cells.length} cells, IPC file format`);
}

write('v2_tokens.dataset', expected.v2.tokens, 'cell_barcode');
write('v1_tokens.dataset', expected.v1.tokens, 'cell_id');
writeFile('v1_tokens_ipc_file.arrow', expected.v1.tokens, 'cell_id');
