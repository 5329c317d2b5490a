#!/usr/bin/env python3
"""PyTorch's side of the fine-tuning benchmark: the same training steps as FinetuneBenchmark, eager.

    /usr/bin/python3 bench/finetune/pytorch_baseline.py MODEL_DIR CELLS_FILE CELLS LENGTH BATCH STEPS THREADS [HEAD]

The model is make_model_fixtures.py's BERT module (Hugging Face's forward) with the weights of
MODEL_DIR/weights.pt; the first CELLS cells of CELLS_FILE cut to LENGTH tokens; batches of BATCH
cells in file order, labels alternating 0/1; dropout 0.02 (V1's config) where BERT trains with it;
a linear head on the mean of the last hidden states (dropped out at 0.02 too); cross-entropy;
gradients clipped to norm 1 (the Trainer's default); torch.optim.AdamW (lr 5e-5, weight decay
0.001). One warm-up step, then STEPS timed steps. Prints one line: "cells_per_second <value>".
HEAD "gene": a gene classifier's step instead (BertForTokenClassification restated): tokens t with
t % 7 == 0 labelled (t // 7) % 2, the others -100; dropout 0.02 on every token's last hidden state,
the head on each, cross-entropy over the labelled tokens.
HEAD "mlm": a pretraining step as transformers' BertForMaskedLM takes it under upstream's
GeneformerPretrainer: 15% of the tokens chosen (DataCollatorForLanguageModeling: 80% <mask>, 10% a
random token, 10% kept), the head (dense, relu, LayerNorm, the tied word embeddings, a bias) on
every position, cross-entropy over the chosen ones.
HEAD "multitask": upstream MTLClassifier's step (GeneformerMultiTask restated): the attention pool
(a learnt (256, 1) vector, softmax over the tokens, the weighted sum), dropout 0.02 on the pooled
vector, three linear heads (2, 5 and 10 classes; cell c of the file labelled c % classes), the
tasks' cross-entropies summed.
HEAD "lora": the cell classifier's step with LoRA adapters as upstream Classifier's quantize trains
(peft's LoraConfig r 64, lora_alpha 128, lora_dropout 0.1 on every layer's query and value; its
LoRA Linear restated: base(x) + B(A(dropout(x))) * alpha / r), the checkpoint's weights frozen,
AdamW over the adapters and the head.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import blas_threads  # noqa: E402

blas_threads.limit(int(sys.argv[7]))  # THREADS, before torch loads
import torch  # noqa: E402
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "model-udf/src/test/python"))
import make_model_fixtures as fx  # noqa: E402


class Lora(torch.nn.Module):
    """peft's LoRA Linear: the frozen layer plus B(A(dropout(x))) * alpha / r; A kaiming-uniform, B 0."""

    def __init__(self, base, r, alpha, p):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.empty(r, base.in_features))
        torch.nn.init.kaiming_uniform_(self.A, a=5 ** 0.5)
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, r))
        self.p = p
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(fx.drop(x, self.p), self.A), self.B) * self.scaling


def main():
    model_dir, cells_file = sys.argv[1], sys.argv[2]
    n, length, batch, steps, threads = (int(x) for x in sys.argv[3:8])
    mode = sys.argv[8] if len(sys.argv) > 8 else "cell"
    torch.set_num_threads(threads)
    cfg = fx.Config(25_426, "relu", 1e-12, hidden=256, layers=6, heads=4, intermediate=512, max_positions=2048)
    cfg.hidden_dropout = cfg.attention_dropout = 0.02
    model = fx.Bert(cfg)
    model.load_state_dict(torch.load(os.path.join(model_dir, "weights.pt")))
    head = torch.nn.Linear(256, 2)
    mlm = {"dense": torch.nn.Linear(256, 256), "norm": torch.nn.LayerNorm(256, eps=1e-12),
           "bias": torch.nn.Parameter(torch.zeros(25_426))}
    with open(cells_file) as f:
        cells = [list(map(int, line.split()))[:length] for line in f][:n]
    params = list(model.parameters()) + list(head.parameters())
    tasks = [2, 5, 10]
    heads = [torch.nn.Linear(256, k) for k in tasks]
    attention = torch.nn.Parameter(torch.empty(256, 1))
    torch.nn.init.xavier_uniform_(attention)
    if mode == "multitask":
        params = list(model.parameters()) + [attention] + [p for h in heads for p in h.parameters()]
    if mode == "mlm":
        params = list(model.parameters()) + list(mlm["dense"].parameters()) + list(mlm["norm"].parameters()) + [mlm["bias"]]
    if mode == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        params = list(head.parameters())
        for layer in model.encoder.layer:
            for target in ("query", "value"):
                adapted = Lora(getattr(layer.attention.self, target), 64, 128.0, 0.1)
                setattr(layer.attention.self, target, adapted)
                params += [adapted.A, adapted.B]
    opt = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.001)

    def step(i):
        chunk = cells[(i * batch) % n:(i * batch) % n + batch]
        ids = torch.tensor(chunk)
        mask = torch.ones_like(ids)
        labels = torch.tensor([(i * batch + k) % 2 for k in range(len(chunk))])
        if mode == "mlm":
            chosen = torch.bernoulli(torch.full(ids.shape, 0.15)).bool() & (ids > 1)  # not <pad>, <mask>
            labels = torch.where(chosen, ids, torch.full_like(ids, -100))
            masked = torch.bernoulli(torch.full(ids.shape, 0.8)).bool() & chosen
            ids = torch.where(masked, torch.ones_like(ids), ids)
            randomised = torch.bernoulli(torch.full(ids.shape, 0.5)).bool() & chosen & ~masked
            ids = torch.where(randomised, torch.randint(25_426, ids.shape), ids)
            last = model(ids, mask)[-1]
            t = mlm["norm"](F.relu(mlm["dense"](last)))
            logits = t @ model.embeddings.word_embeddings.weight.T + mlm["bias"]
            loss = F.cross_entropy(logits.reshape(-1, 25_426), labels.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return
        last = model(ids, mask)[-1]
        if mode == "multitask":
            pooled = fx.drop((last * torch.softmax(last @ attention, dim=1)).sum(1), 0.02)
            first = (i * batch) % n
            loss = sum(F.cross_entropy(h(pooled), torch.tensor([(first + k) % c for k in range(len(chunk))]))
                       for h, c in zip(heads, tasks))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return
        if mode == "gene":
            token_labels = torch.where(ids % 7 == 0, (ids // 7) % 2, torch.full_like(ids, -100))
            logits = head(fx.drop(last, 0.02))
            loss = F.cross_entropy(logits.reshape(-1, 2), token_labels.reshape(-1), ignore_index=-100)
        else:
            loss = F.cross_entropy(head(fx.drop(last.mean(1), 0.02)), labels)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)  # the Trainer's max_grad_norm
        opt.step()

    step(0)
    start = time.perf_counter()
    for i in range(1, steps + 1):
        step(i)
    seconds = time.perf_counter() - start
    print("cells_per_second", steps * batch / seconds)


if __name__ == "__main__":
    main()
