#!/usr/bin/env python3
"""Writes the TorchScript program Cellspark runs Hugging Face BERT checkpoints with:

    /usr/bin/python3 model-udf/tools/make_cellspark_bert.py

-> model-udf/src/main/resources/org/cellspark/model/cellspark_bert.pt (a few KB, committed; CI
and users never run this). Needs torch >= 1.13 where it runs (Debian's python3-torch will do).

The program is Geneformer's encoder, Hugging Face's BertModel forward for its checkpoints
(post-LayerNorm layers, absolute position embeddings, token type 0), written once
here with the weights as an argument (a list of tensors, in the order WEIGHT_ORDER below), so one
file serves every model size: the JVM reads the weights from the checkpoint's safetensors file
and passes them in. Attention is torch.scaled_dot_product_attention: fused kernels (flash or
memory-efficient on CUDA, a fused kernel on CPU) that DJL's NDArray API cannot call.

How it is made: the module is compiled with torch.jit.script, whose archive holds the program as
TorchScript source text that the loading libtorch compiles again. torch 1.13 (Debian's) has no
scaled_dot_product_attention, so the module is scripted with a plain attention method and that
method's body is then replaced by the SDPA call in the archive's source (Cellspark's libtorch,
2.7.1, compiles it). The source-range debug files are dropped: they describe the text before the
edit and are optional.

Methods (all inputs int64 / fp32, all outputs fp32, so no bf16 tensor ever crosses into the JVM):
  prepare(weights, dtype)                        -> copies of the weights cast to 0 fp32, 1 fp16, 2 bf16
  hidden_state(ids, mask, weights, heads, layer, eps, activation) -> hidden state `layer`
      (0 = embeddings) as fp32 (batch, length, hidden); layers after `layer` are not run
  hidden_states(ids, mask, weights, heads, eps, activation)       -> every hidden state, fp32
  train_hidden_state(ids, mask, weights, config)  -> as hidden_state, with every argument a tensor
      (config: float64 [heads, layer, activation, eps, hidden dropout, attention dropout, mixed]), so that
      DJL can call it through PtSymbolBlock.forward with training on (gradients recorded);
      runMethod runs without them. Dropout where Hugging Face's BertModel has it in training: after
      the embeddings' LayerNorm, on the attention probabilities (SDPA's dropout_p), and on each
      dense output before its residual sum; it draws from libtorch's default generator, in that
      order. Inference (hidden_state, hidden_states) has none. mixed 2 is bf16 mixed precision as
      torch.autocast runs BERT: the weights stay fp32 (their gradients too) and each linear layer
      casts its input and weights to bf16, attention runs in bf16, while embeddings, residual sums
      and LayerNorms stay fp32; mixed 0 computes in the weights' own type.
  train_adapted_hidden_state(ids, mask, weights, adapters, config) -> as train_hidden_state, with LoRA
      adapters on each layer's query and value projections (adapters: per layer its query's lora_A (rank,
      hidden) and lora_B (hidden, rank), then its value's; config adds [scale, adapter dropout]): each adds
      lora_B(lora_A(dropout(x))) * scale to its projection, as peft's LoRA Linear does. Its own method
      (a list argument cannot be empty through DJL), so the other methods are as they were.
  clip_and_step(decayed, exp_avgs, exp_avg_sqs, others, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2,
                weight_decay, eps, max_norm) -> the gradients' global norm before clipping; clips them as
      torch.nn.utils.clip_grad_norm_ (foreach norm, one scale), takes one torch.optim.AdamW step with
      its fused kernel (torch._fused_adamw_; the "others" without weight decay), zeroes the gradients.
      Every weight passed must have a gradient; weights and moments are updated in place.
activation: 0 relu, 1 gelu (erf), 2 gelu with the tanh approximation.
"""
import io
import os
import re
import zipfile
from typing import List, Optional

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "resources", "org",
                   "cellspark", "model", "cellspark_bert.pt")

# The order of the weight list (Hugging Face names without the "bert." prefix); per layer L the 16
# tensors from encoder.layer.L.attention.self.query.weight to encoder.layer.L.output.LayerNorm.bias.
WEIGHT_ORDER = """embeddings.word_embeddings.weight embeddings.position_embeddings.weight
embeddings.token_type_embeddings.weight embeddings.LayerNorm.weight embeddings.LayerNorm.bias""".split()
LAYER_ORDER = """attention.self.query.weight attention.self.query.bias attention.self.key.weight
attention.self.key.bias attention.self.value.weight attention.self.value.bias attention.output.dense.weight
attention.output.dense.bias attention.output.LayerNorm.weight attention.output.LayerNorm.bias
intermediate.dense.weight intermediate.dense.bias output.dense.weight output.dense.bias
output.LayerNorm.weight output.LayerNorm.bias""".split()


class CellsparkBert(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: Optional[torch.Tensor],
               dropout: float) -> torch.Tensor:
        # Replaced by torch.scaled_dot_product_attention(q, k, v, mask, dropout) in the shipped archive.
        scores = torch.matmul(q, k.transpose(-1, -2)) / (q.size(-1) ** 0.5)
        if mask is not None:
            scores = scores.masked_fill(torch.logical_not(mask), -1.0e30)
        return torch.matmul(F.dropout(torch.softmax(scores, -1), dropout, True), v)

    def key_mask(self, attention_mask: torch.Tensor) -> Optional[torch.Tensor]:
        # None for a batch without padding, as transformers passes SDPA no mask then: on CUDA only
        # a call without a mask may take the flash kernel (the memory-efficient one takes masks), and
        # an all-true mask changes nothing. One read of a bool per forward call.
        if bool(torch.all(attention_mask != 0)):
            return None
        return attention_mask.to(torch.bool).view(attention_mask.size(0), 1, 1, attention_mask.size(1))

    def lin(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, mixed: int) -> torch.Tensor:
        if mixed == 2:
            return F.linear(x.to(torch.bfloat16), w.to(torch.bfloat16), b.to(torch.bfloat16))
        return F.linear(x, w, b)

    def wide(self, x: torch.Tensor, mixed: int) -> torch.Tensor:
        # Under mixed precision a linear layer's output goes back to fp32 for the residual stream.
        if mixed != 0:
            return x.float()
        return x

    def drop(self, x: torch.Tensor, p: float) -> torch.Tensor:
        if p > 0.0:
            return F.dropout(x, p, True)
        return x

    def activate(self, x: torch.Tensor, activation: int) -> torch.Tensor:
        if activation == 0:
            return torch.relu(x)
        if activation == 1:
            return F.gelu(x)
        return F.gelu(x, approximate="tanh")

    def embed(self, ids: torch.Tensor, w: List[torch.Tensor], eps: float, p: float) -> torch.Tensor:
        n = ids.size(1)
        h = w[0].size(1)
        x = F.embedding(ids, w[0]) + w[1][:n].unsqueeze(0) + w[2][0]
        return self.drop(F.layer_norm(x, [h], w[3], w[4], eps), p)

    def low_rank(self, x: torch.Tensor, down: torch.Tensor, up: torch.Tensor, scale: float, p: float,
                 mixed: int) -> torch.Tensor:
        # A LoRA adapter's term, as peft's Linear adds it: up(down(dropout(x))) * scale, no biases.
        d = self.drop(x, p)
        if mixed == 2:
            return F.linear(F.linear(d.to(torch.bfloat16), down.to(torch.bfloat16)), up.to(torch.bfloat16)) * scale
        return F.linear(F.linear(d, down), up) * scale

    def adapted(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, adapters: List[torch.Tensor], a: int,
                scale: float, lora_p: float, mixed: int) -> torch.Tensor:
        y = self.lin(x, w, b, mixed)
        if len(adapters) > 0:
            y = y + self.low_rank(x, adapters[a], adapters[a + 1], scale, lora_p, mixed)
        return y

    def layer(self, x: torch.Tensor, mask: Optional[torch.Tensor], w: List[torch.Tensor], o: int, heads: int, eps: float,
              activation: int, p: float, attention_p: float, mixed: int, adapters: List[torch.Tensor], a: int,
              scale: float, lora_p: float) -> torch.Tensor:
        b = x.size(0)
        n = x.size(1)
        h = x.size(2)
        hs = h // heads
        q = self.adapted(x, w[o], w[o + 1], adapters, a, scale, lora_p, mixed).view(b, n, heads, hs).transpose(1, 2)
        k = self.lin(x, w[o + 2], w[o + 3], mixed).view(b, n, heads, hs).transpose(1, 2)
        v = self.adapted(x, w[o + 4], w[o + 5], adapters, a + 2, scale, lora_p, mixed).view(b, n, heads, hs)
        v = v.transpose(1, 2)
        c = self.attend(q, k, v, mask, attention_p).transpose(1, 2).reshape(b, n, h)
        d = self.wide(self.lin(c, w[o + 6], w[o + 7], mixed), mixed)
        a = F.layer_norm(self.drop(d, p) + x, [h], w[o + 8], w[o + 9], eps)
        i = self.activate(self.lin(a, w[o + 10], w[o + 11], mixed), activation)
        d = self.wide(self.lin(i, w[o + 12], w[o + 13], mixed), mixed)
        return F.layer_norm(self.drop(d, p) + a, [h], w[o + 14], w[o + 15], eps)

    def run(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, weights: List[torch.Tensor],
            heads: int, layer: int, eps: float, activation: int, p: float, attention_p: float,
            mixed: int, adapters: List[torch.Tensor], scale: float, lora_p: float) -> torch.Tensor:
        mask = self.key_mask(attention_mask)
        x = self.embed(input_ids, weights, eps, p)
        for l in range(layer):
            x = self.layer(x, mask, weights, 5 + 16 * l, heads, eps, activation, p, attention_p, mixed, adapters,
                           4 * l, scale, lora_p)
        return x.float()

    @torch.jit.export
    def prepare(self, weights: List[torch.Tensor], dtype: int) -> List[torch.Tensor]:
        target = torch.float32
        if dtype == 1:
            target = torch.float16
        elif dtype == 2:
            target = torch.bfloat16
        # A copy even in fp32: the JVM's tensors may borrow memory the JVM frees once they are handed over.
        return [torch.clone(t.to(target)) for t in weights]

    @torch.jit.export
    def hidden_state(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, weights: List[torch.Tensor],
                     heads: int, layer: int, eps: float, activation: int) -> torch.Tensor:
        no_adapters: List[torch.Tensor] = []
        return self.run(input_ids, attention_mask, weights, heads, layer, eps, activation, 0.0, 0.0, 0, no_adapters,
                        0.0, 0.0)

    @torch.jit.export
    def train_hidden_state(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                           weights: List[torch.Tensor], config: torch.Tensor) -> torch.Tensor:
        no_adapters: List[torch.Tensor] = []
        return self.train_run(input_ids, attention_mask, weights, no_adapters, config)

    @torch.jit.export
    def train_adapted_hidden_state(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                                   weights: List[torch.Tensor], adapters: List[torch.Tensor],
                                   config: torch.Tensor) -> torch.Tensor:
        return self.train_run(input_ids, attention_mask, weights, adapters, config)

    def train_run(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, weights: List[torch.Tensor],
                  adapters: List[torch.Tensor], config: torch.Tensor) -> torch.Tensor:
        scale = 0.0
        lora_p = 0.0
        if len(adapters) > 0:
            scale = float(config[7])
            lora_p = float(config[8])
        return self.run(input_ids, attention_mask, weights, int(config[0]), int(config[1]), float(config[3]),
                        int(config[2]), float(config[4]), float(config[5]), int(config[6]), adapters, scale, lora_p)

    def gradients(self, params: List[torch.Tensor]) -> List[torch.Tensor]:
        # Every weight passed has a gradient: the caller passes the weights that trained.
        out: List[torch.Tensor] = []
        for p in params:
            out.append(p.grad)
        return out

    def scale_(self, grads: List[torch.Tensor], coef: torch.Tensor):
        # Replaced by torch._foreach_mul_(grads, coef) in the shipped archive (one kernel on CUDA).
        for g in grads:
            g.mul_(coef)

    def adamw_(self, params: List[torch.Tensor], grads: List[torch.Tensor], exp_avgs: List[torch.Tensor],
               exp_avg_sqs: List[torch.Tensor], step: torch.Tensor, lr: float, beta1: float, beta2: float,
               weight_decay: float, eps: float):
        # Replaced by torch._fused_adamw_ (torch.optim.AdamW(fused=True)'s kernel, which torch 1.13 lacks)
        # in the shipped archive. torch.optim.AdamW's formula:
        t = float(step.item())
        for i in range(len(params)):
            p = params[i]
            p.mul_(1.0 - lr * weight_decay)
            exp_avgs[i].mul_(beta1).add_(grads[i], alpha=1.0 - beta1)
            exp_avg_sqs[i].mul_(beta2).addcmul_(grads[i], grads[i], value=1.0 - beta2)
            denom = (exp_avg_sqs[i].sqrt() / ((1.0 - beta2 ** t) ** 0.5)).add_(eps)
            p.addcdiv_(exp_avgs[i], denom, value=-lr / (1.0 - beta1 ** t))

    @torch.jit.export
    def clip_and_step(self, decayed: List[torch.Tensor], decayed_exp_avgs: List[torch.Tensor],
                      decayed_exp_avg_sqs: List[torch.Tensor], others: List[torch.Tensor],
                      other_exp_avgs: List[torch.Tensor], other_exp_avg_sqs: List[torch.Tensor],
                      step: torch.Tensor, lr: float, beta1: float, beta2: float, weight_decay: float, eps: float,
                      max_norm: float) -> torch.Tensor:
        with torch.no_grad():
            gd = self.gradients(decayed)
            go = self.gradients(others)
            grads = gd + go
            # clip_grad_norm_: the norm of every gradient as one vector; each times min(1, max / (norm + 1e-6)).
            norms = torch._foreach_norm(grads, 2.0)
            total = torch.stack(norms).square().sum().sqrt()
            if max_norm > 0.0:
                self.scale_(grads, torch.clamp((total + 1e-6).reciprocal() * max_norm, max=1.0))
            if len(decayed) > 0:
                self.adamw_(decayed, gd, decayed_exp_avgs, decayed_exp_avg_sqs, step, lr, beta1, beta2,
                            weight_decay, eps)
            if len(others) > 0:
                self.adamw_(others, go, other_exp_avgs, other_exp_avg_sqs, step, lr, beta1, beta2, 0.0, eps)
            torch._foreach_zero_(grads)
            return total

    @torch.jit.export
    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, weights: List[torch.Tensor],
                      heads: int, eps: float, activation: int) -> List[torch.Tensor]:
        mask = self.key_mask(attention_mask)
        x = self.embed(input_ids, weights, eps, 0.0)
        out = [x.float()]
        no_adapters: List[torch.Tensor] = []
        for l in range((len(weights) - 5) // 16):
            x = self.layer(x, mask, weights, 5 + 16 * l, heads, eps, activation, 0.0, 0.0, 0, no_adapters, 0, 0.0, 0.0)
            out.append(x.float())
        return out


# Method bodies replaced in the archive's source text with calls torch 1.13 cannot script but the
# loading libtorch (2.7.1) compiles: fused attention, and the one-kernel gradient scaling and AdamW
# update that torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW(fused=True) use.
REPLACED = {
    "attend": "    return torch.scaled_dot_product_attention(q, k, v, mask, dropout)\n",
    "scale_": "    torch._foreach_mul_(grads, coef)\n    return None\n",
    "adamw_": ("    steps = [step for p in params]\n"
               "    torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=lr, beta1=beta1,"
               " beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)\n"
               "    return None\n"),
}


def with_libtorch_ops(archive: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            name = info.filename
            if name.endswith(".debug_pkl"):
                continue
            data = src.read(name)
            if name.endswith(".py"):
                text = data.decode()
                for method, body in REPLACED.items():
                    head = "  def %s(" % method
                    if head in text:
                        start = text.index(head)
                        signature_end = re.compile(r"\) -> [^\n]*:\n").search(text, start)
                        begin = signature_end.end()
                        end = text.find("\n  def ", begin)
                        end = len(text) if end < 0 else end + 1
                        text = text[:begin] + body + text[end:]
                data = text.encode()
            # One top-level folder named after the program, whatever the temporary file was called.
            dst.writestr(zipfile.ZipInfo("cellspark_bert/" + name.split("/", 1)[1], date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def main():
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(CellsparkBert()), buffer)
    program = with_libtorch_ops(buffer.getvalue())
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(program)
    print("wrote", os.path.relpath(OUT), len(program), "bytes")


if __name__ == "__main__":
    main()
