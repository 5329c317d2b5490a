#!/usr/bin/env python3
"""One fine-tuning step of the tiny V2 model, by PyTorch, for TrainingStepTest.

    /usr/bin/python3 model-udf/src/test/python/make_training_step_reference.py

Needs Debian's python3-torch (1.13). The encoder is make_model_fixtures.py's nn.Module BERT with
the committed tiny-v2 weights; on top, the head Cellspark fine-tunes: the mean of each cell's gene
tokens' last hidden states (<cls>, <eos> and padding left out), then a linear layer (its weights
seeded here and written out, so both sides start from them). Loss: cross-entropy with class
weights. Optimizer: torch.optim.AdamW as Hugging Face's Trainer sets it up (weight decay on every
weight but biases and LayerNorm weights), after clipping the gradients' global norm to 1 as the
Trainer does. Writes models/training_step_reference.json: the batch,
the head's initial weights, the settings, the loss, and after one step the logits, loss gradients
and updated values of a few weights, without dropout; and under "dropout" the same step with
dropout where BertForSequenceClassification trains with it (after the embeddings, on attention
probabilities, on each dense output before its residual sum, on the pooled vector before the
head), its masks drawn from torch's CPU generator seeded with DROPOUT["seed"] (the first step of a
fine-tune with that seed: Cellspark seeds step t with seed + t).

The same for a gene classifier (BertForTokenClassification: the head on every token, dropout on
the whole last hidden state, cross-entropy over the tokens TOKEN_CLASSES labels, -100 elsewhere) in
models/gene_training_step_reference.json; its logits are the labelled tokens', row by row.

And pretraining's masked language model (BertForMaskedLM: some genes masked by Cellspark's rule,
restated here in mask_genes from uniform draws of torch's generator; the head's transform and the
tied word embeddings; cross-entropy over the masked genes) in
models/mlm_training_step_reference.json, with and without dropout.

And upstream's multi-task classifier (GeneformerMultiTask: an attention pool, a head per task, the
tasks' weighted losses summed; a cell unlabelled for one task) in
models/multitask_training_step_reference.json, with and without dropout.
"""
import importlib.util
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "resources", "fixtures", "models")
spec = importlib.util.spec_from_file_location("gradients", os.path.join(HERE, "make_gradient_reference.py"))
gradients = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gradients)
fixtures = gradients.fixtures

WATCHED = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.LayerNorm.weight",
    "encoder.layer.1.output.dense.bias",
    "head.weight",
    "head.bias",
]
DROPOUT = {"hidden": 0.1, "attention": 0.15, "classifier": 0.2, "seed": 42}
SETTINGS = {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1,
            "class_weights": [1.0, 2.5], "max_grad_norm": 1.0, "labels": [0, 1, 1, 0], "cls_id": 2, "eos_id": 3}


# The gene classifier's step (make_token_step): genes labelled by token, every other position -100.
TOKEN_CLASSES = {5: 0, 9: 0, 4: 1, 12: 1, 29: 1}


def tiny_v2(dropout):
    """The tiny V2 checkpoint's config, its encoder as make_model_fixtures.py's module (with the
    dropout rates given, if any) and all of its tensors."""
    with open(os.path.join(MODELS, "tiny-v2", "config.json")) as f:
        c = json.load(f)
    config = fixtures.Config(c["vocab_size"], c["hidden_act"], c["layer_norm_eps"])
    if dropout:
        config.hidden_dropout = dropout["hidden"]
        config.attention_dropout = dropout["attention"]
    model = fixtures.Bert(config)
    weights = gradients.read_safetensors(os.path.join(MODELS, "tiny-v2", "model.safetensors"))
    model.load_state_dict({k[len("bert."):]: v for k, v in weights.items() if k.startswith("bert.")})
    return c, model, weights


def batch():
    """reference.json's tiny V2 cells, right-padded: the cells, ids and attention mask."""
    with open(os.path.join(MODELS, "reference.json")) as f:
        cells = [cell["input_ids"] for cell in json.load(f)["tiny-v2"]["cells"]]
    longest = max(len(cell) for cell in cells)
    ids = torch.tensor([cell + [0] * (longest - len(cell)) for cell in cells])
    mask = torch.tensor([[1] * len(cell) + [0] * (longest - len(cell)) for cell in cells])
    return cells, ids, mask


def adamw(named):
    """torch.optim.AdamW as Hugging Face's Trainer sets it up: weight decay on every weight but
    biases and LayerNorm weights."""
    decay = [p for n, p in named.items() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in named.items() if n.endswith("bias") or "LayerNorm" in n]
    return torch.optim.AdamW([{"params": decay, "weight_decay": SETTINGS["weight_decay"]},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=SETTINGS["lr"], betas=tuple(SETTINGS["betas"]), eps=SETTINGS["eps"])


def step(dropout, tokens=False):
    c, model, weights = tiny_v2(dropout)
    g = torch.Generator().manual_seed(7)
    head = torch.nn.Linear(c["hidden_size"], 2)
    with torch.no_grad():
        head.weight.copy_(0.1 * torch.randn(head.weight.shape, generator=g))
        head.bias.copy_(0.1 * torch.randn(head.bias.shape, generator=g))
    initial_head = {"weight": head.weight.reshape(-1).tolist(), "bias": head.bias.tolist()}

    cells, ids, mask = batch()
    genes = mask.clone()
    for i, cell in enumerate(cells):  # <cls> first and <eos> last are not genes
        if cell[0] == SETTINGS["cls_id"]:
            genes[i, 0] = 0
        if cell[-1] == SETTINGS["eos_id"]:
            genes[i, len(cell) - 1] = 0

    named = {**{n: p for n, p in model.named_parameters()}, **{"head." + n: p for n, p in head.named_parameters()}}
    opt = adamw(named)

    if dropout:
        torch.manual_seed(dropout["seed"])
    last = model(ids, mask)[-1]
    w = genes.unsqueeze(-1).to(torch.float32)
    pooled = (last * w).sum(1) / w.sum(1)
    if tokens:
        # BertForTokenClassification: dropout on every token's last hidden state, the head on each,
        # cross-entropy over the labelled tokens only (ignore_index -100).
        labels = torch.tensor([[TOKEN_CLASSES.get(t, -100) for t in row] for row in ids.tolist()])
        labels[mask == 0] = -100
        sequence = fixtures.drop(last, dropout["classifier"]) if dropout else last
        all_logits = head(sequence)
        loss = F.cross_entropy(all_logits.reshape(-1, 2), labels.reshape(-1), ignore_index=-100,
                               weight=torch.tensor(SETTINGS["class_weights"]))
        logits = all_logits[labels != -100]  # the labelled tokens', row by row
    else:
        if dropout:
            pooled = fixtures.drop(pooled, dropout["classifier"])
        logits = head(pooled)
        loss = F.cross_entropy(logits, torch.tensor(SETTINGS["labels"]),
                               weight=torch.tensor(SETTINGS["class_weights"]))
    opt.zero_grad()
    loss.backward()
    grads = {n: named[n].grad.reshape(-1).tolist() for n in WATCHED}
    # As the Trainer does before each step (max_grad_norm, 1.0 by default); the gradients above are
    # the ones before clipping.
    norm = torch.nn.utils.clip_grad_norm_(list(named.values()), SETTINGS["max_grad_norm"])
    opt.step()
    return {"cells": cells, "settings": SETTINGS, "initial_head": initial_head, "loss": loss.item(),
            "logits": logits.tolist(), "gradients": grads, "grad_norm": norm.item(),
            "updated": {n: named[n].detach().reshape(-1).tolist() for n in WATCHED}}


# The masked language model's step (make_mlm_step): BertForMaskedLM over the same cells.
MLM = {"fraction": 0.3, "mask_id": 1, "specials": [0, 1, 2, 3], "seed": 42}
MLM_WATCHED = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.dense.bias",
    "head.transform.dense.weight",
    "head.transform.LayerNorm.weight",
    "head.bias",
]


def mask_genes(ids, mask, u, vocab_size):
    """Cellspark's masking rule (the Java Masking and MaskedBatch), restated from the uniform draws
    u (3, cells, length): a gene token is chosen when u[0] < fraction (a cell with none chosen gets
    its gene with the smallest u[0]); a chosen token becomes <mask> when u[1] < 0.8, the gene
    genes[int(u[2] * len(genes))] when u[1] < 0.9, else stays. Labels: the chosen genes, -100
    elsewhere."""
    genes = [t for t in range(vocab_size) if t not in MLM["specials"]]
    u = u.double()
    out = ids.clone()
    labels = torch.full_like(ids, -100)
    kinds = {"mask": 0, "gene": 0, "kept": 0}
    for c in range(ids.shape[0]):
        positions = [i for i in range(int(mask[c].sum())) if int(ids[c, i]) in genes]
        picked = [i for i in positions if u[0, c, i] < MLM["fraction"]]
        if not picked and positions:
            picked = [min(positions, key=lambda i: float(u[0, c, i]))]
        for i in picked:
            labels[c, i] = ids[c, i]
            if u[1, c, i] < 0.8:
                out[c, i] = MLM["mask_id"]
                kinds["mask"] += 1
            elif u[1, c, i] < 0.9:
                out[c, i] = genes[int(float(u[2, c, i]) * len(genes))]
                kinds["gene"] += 1
            else:
                kinds["kept"] += 1
    return out, labels, kinds


def mlm_step(dropout):
    c, model, weights = tiny_v2(dropout)
    # BertLMPredictionHead: dense, the config's activation (relu), LayerNorm, then the word embeddings
    # (tied) and a bias; its weights as the checkpoint holds them.
    head = {n: torch.nn.Parameter(weights["cls.predictions." + n].clone()) for n in
            ("transform.dense.weight", "transform.dense.bias", "transform.LayerNorm.weight",
             "transform.LayerNorm.bias", "bias")}

    cells, ids, mask = batch()

    named = {**{n: p for n, p in model.named_parameters()}, **{"head." + n: p for n, p in head.items()}}
    opt = adamw(named)

    # The first step of a run with seed 42: the generator seeded with 42, the masks drawn first,
    # then the dropout masks of the forward pass.
    torch.manual_seed(MLM["seed"])
    u = torch.rand(3, *ids.shape)
    masked, labels, kinds = mask_genes(ids, mask, u, c["vocab_size"])
    last = model(masked, mask)[-1]
    t = fixtures.act(c["hidden_act"], last @ head["transform.dense.weight"].T + head["transform.dense.bias"])
    t = F.layer_norm(t, (c["hidden_size"],), head["transform.LayerNorm.weight"],
                     head["transform.LayerNorm.bias"], c["layer_norm_eps"])
    all_logits = t @ model.embeddings.word_embeddings.weight.T + head["bias"]
    loss = F.cross_entropy(all_logits.reshape(-1, c["vocab_size"]), labels.reshape(-1), ignore_index=-100)
    logits = all_logits[labels != -100]  # the masked positions', row by row
    opt.zero_grad()
    loss.backward()
    grads = {n: named[n].grad.reshape(-1).tolist() for n in MLM_WATCHED}
    norm = torch.nn.utils.clip_grad_norm_(list(named.values()), SETTINGS["max_grad_norm"])
    opt.step()
    return {"cells": cells, "settings": SETTINGS, "masking": MLM, "draws": u.reshape(-1).tolist(),
            "masked_ids": masked.tolist(), "labels": labels.tolist(), "kinds": kinds,
            "loss": loss.item(), "logits": logits.tolist(), "gradients": grads, "grad_norm": norm.item(),
            "updated": {n: named[n].detach().reshape(-1).tolist() for n in MLM_WATCHED}}


# The multi-task classifier's step (multitask_step): upstream's GeneformerMultiTask over the same cells.
MT = {"labels": [[0, 1, 1, 0], [2, -100, 0, 1]], "classes": [2, 3], "task_weights": [1.0, 0.5],
      "class_weights": [[1.0, 2.5], [1.0, 1.0, 1.0]]}
MT_WATCHED = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.dense.bias",
    "attention_pool.attention_weights",
    "classification_heads.0.weight",
    "classification_heads.1.bias",
]


def multitask_step(dropout):
    """GeneformerMultiTask's step: the attention pool (a learnt (hidden, 1) vector scores each
    token, softmax over the cell's tokens, padding left out, the weighted sum), dropout on the
    pooled vector, a linear head per task, the loss the sum of each task's weighted cross-entropy
    (cells without a class, -100, ignored) times the task's weight."""
    c, model, weights = tiny_v2(dropout)
    g = torch.Generator().manual_seed(11)
    hidden = c["hidden_size"]
    attention = torch.nn.Parameter(0.3 * torch.randn(hidden, 1, generator=g))
    heads = [torch.nn.Linear(hidden, k) for k in MT["classes"]]
    with torch.no_grad():
        for h in heads:
            h.weight.copy_(0.1 * torch.randn(h.weight.shape, generator=g))
            h.bias.copy_(0.1 * torch.randn(h.bias.shape, generator=g))
    initial = {"attention": attention.reshape(-1).tolist(),
               "heads": [{"weight": h.weight.reshape(-1).tolist(), "bias": h.bias.tolist()} for h in heads]}
    cells, ids, mask = batch()
    named = {**{n: p for n, p in model.named_parameters()}, "attention_pool.attention_weights": attention}
    for t, h in enumerate(heads):
        named.update({"classification_heads.%d.%s" % (t, n): p for n, p in h.named_parameters()})
    opt = adamw(named)
    if dropout:
        torch.manual_seed(dropout["seed"])
    last = model(ids, mask)[-1]
    scores = (last @ attention).masked_fill(mask.unsqueeze(-1) == 0, float("-inf"))
    pooled = (last * torch.softmax(scores, dim=1)).sum(1)
    if dropout:
        pooled = fixtures.drop(pooled, dropout["classifier"])
    logits = [h(pooled) for h in heads]
    loss = sum(w * F.cross_entropy(l, torch.tensor(y), weight=torch.tensor(cw), ignore_index=-100)
               for w, l, y, cw in zip(MT["task_weights"], logits, MT["labels"], MT["class_weights"]))
    opt.zero_grad()
    loss.backward()
    grads = {n: named[n].grad.reshape(-1).tolist() for n in MT_WATCHED}
    norm = torch.nn.utils.clip_grad_norm_(list(named.values()), SETTINGS["max_grad_norm"])
    opt.step()
    return {"cells": cells, "settings": SETTINGS, "tasks": MT, "initial": initial, "loss": loss.item(),
            "logits": [l.detach().tolist() for l in logits], "pooled": pooled.detach().tolist(),
            "gradients": grads, "grad_norm": norm.item(),
            "updated": {n: named[n].detach().reshape(-1).tolist() for n in MT_WATCHED}}


def main():
    out = step(None)
    with_dropout = step(DROPOUT)
    out["dropout"] = {"rates": DROPOUT, "loss": with_dropout["loss"], "logits": with_dropout["logits"],
                      "gradients": with_dropout["gradients"], "grad_norm": with_dropout["grad_norm"],
                      "updated": with_dropout["updated"]}
    with open(os.path.join(MODELS, "training_step_reference.json"), "w") as f:
        json.dump(out, f)
    print("loss", out["loss"], "with dropout", with_dropout["loss"])
    genes = step(None, tokens=True)
    genes_dropout = step(DROPOUT, tokens=True)
    genes["token_classes"] = {str(k): v for k, v in TOKEN_CLASSES.items()}
    genes["dropout"] = {"rates": DROPOUT, "loss": genes_dropout["loss"], "logits": genes_dropout["logits"],
                        "gradients": genes_dropout["gradients"], "grad_norm": genes_dropout["grad_norm"],
                        "updated": genes_dropout["updated"]}
    with open(os.path.join(MODELS, "gene_training_step_reference.json"), "w") as f:
        json.dump(genes, f)
    print("gene classifier: loss", genes["loss"], "with dropout", genes_dropout["loss"])
    mlm = mlm_step(None)
    mlm_dropout = mlm_step(DROPOUT)
    assert mlm_dropout["masked_ids"] == mlm["masked_ids"], "the same seed masks the same genes"
    mlm["dropout"] = {"rates": DROPOUT, "loss": mlm_dropout["loss"], "logits": mlm_dropout["logits"],
                      "gradients": mlm_dropout["gradients"], "grad_norm": mlm_dropout["grad_norm"],
                      "updated": mlm_dropout["updated"]}
    with open(os.path.join(MODELS, "mlm_training_step_reference.json"), "w") as f:
        json.dump(mlm, f)
    print("masked language model: loss", mlm["loss"], "with dropout", mlm_dropout["loss"],
          "masked", mlm["kinds"])
    mt = multitask_step(None)
    mt_dropout = multitask_step(DROPOUT)
    mt["dropout"] = {"rates": DROPOUT, "loss": mt_dropout["loss"], "logits": mt_dropout["logits"],
                     "gradients": mt_dropout["gradients"], "grad_norm": mt_dropout["grad_norm"],
                     "updated": mt_dropout["updated"]}
    with open(os.path.join(MODELS, "multitask_training_step_reference.json"), "w") as f:
        json.dump(mt, f)
    print("multi-task classifier: loss", mt["loss"], "with dropout", mt_dropout["loss"])


if __name__ == "__main__":
    main()
