"""Builds a ViT-B/32-shaped CLIP model folder with random weights, for benchmarking only.

Usage: /usr/bin/python3 bench/make-vit-b32.py OUT_DIR BUILTIN_MODEL_DIR

Vision graph: 224 px, patch 32, width 768, 12 layers, 12 heads, MLP 3072, projection 512 (the shape
of OpenAI CLIP ViT-B/32); text graph: a tiny embedding + mean-pool + projection to 512 (the
benchmark measures images only). Tokenizer files are copied from the built-in model. Never commit
the output: it is ~350 MB of random numbers.
"""
import inspect, json, os, shutil, sys
import torch
from torch import nn

OPSET = 14
# torch >= 2.9 exports through dynamo by default; the TorchScript exporter keeps the same plain graph on every version.
LEGACY = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}

class Attention(nn.Module):
    # Written out (q/k/v projections, scaled softmax) like HF's CLIPAttention, so it exports to plain ONNX ops.
    def __init__(self, width, heads):
        super().__init__()
        self.heads, self.head_dim = heads, width // heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(width, width) for _ in range(4))

    def forward(self, x):
        b, t, c = x.shape
        split = lambda y: y.reshape(b, t, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.q_proj(x)) * self.head_dim ** -0.5, split(self.k_proj(x)), split(self.v_proj(x))
        out = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(b, t, c))

class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, width * 4), nn.GELU(), nn.Linear(width * 4, width))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))

class Vision(nn.Module):
    def __init__(self, size=224, patch=32, width=768, layers=12, heads=12, proj=512):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        tokens = (size // patch) ** 2 + 1
        self.cls = nn.Parameter(torch.randn(width) * 0.02)
        self.pos = nn.Parameter(torch.randn(tokens, width) * 0.01)
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.Sequential(*[Block(width, heads) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Linear(width, proj, bias=False)

    def forward(self, pixel_values):
        x = self.conv1(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos
        x = self.blocks(self.ln_pre(x))
        return self.proj(self.ln_post(x[:, 0]))

class Text(nn.Module):
    def __init__(self, vocab, width=64, proj=512):
        super().__init__()
        self.emb = nn.Embedding(vocab, width)
        self.proj = nn.Linear(width, proj, bias=False)

    def forward(self, input_ids, attention_mask):
        m = attention_mask.unsqueeze(-1).to(torch.float32)
        return self.proj((self.emb(input_ids) * m).sum(1) / m.sum(1).clamp(min=1))

def main(out, builtin):
    torch.manual_seed(0)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    vocab = json.load(open(os.path.join(builtin, "config.json")))["text_config"]["vocab_size"]
    vis, txt = Vision().eval(), Text(vocab).eval()
    with torch.no_grad():
        torch.onnx.export(vis, (torch.randn(2, 3, 224, 224),), os.path.join(out, "onnx", "vision_model.onnx"),
                          input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}},
                          opset_version=OPSET, do_constant_folding=True, **LEGACY)
        ids = torch.ones(2, 8, dtype=torch.int64)
        torch.onnx.export(txt, (ids, torch.ones_like(ids)), os.path.join(out, "onnx", "text_model.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                        "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                        "text_embeds": {0: "batch_size"}},
                          opset_version=OPSET, do_constant_folding=True, **LEGACY)
    config = json.load(open(os.path.join(builtin, "config.json")))
    config["_name_or_path"] = "bench-vit-b32-random"
    config["projection_dim"] = 512
    config["vision_config"] = {"model_type": "clip_vision_model", "image_size": 224, "patch_size": 32, "hidden_size": 768,
                               "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12, "projection_dim": 512}
    config["text_config"]["projection_dim"] = 512
    config["winnow"] = {"logit_scale": 100.0, "image_output": "image_embeds", "text_output": "text_embeds"}
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=1)
    json.dump({"do_resize": True, "size": {"shortest_edge": 224}, "resample": 3, "do_center_crop": True,
               "crop_size": {"height": 224, "width": 224}, "do_rescale": True, "rescale_factor": 1 / 255,
               "do_normalize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
               "image_std": [0.26862954, 0.26130258, 0.27577711], "do_convert_rgb": True,
               "image_processor_type": "CLIPImageProcessor", "feature_extractor_type": "CLIPFeatureExtractor"},
              open(os.path.join(out, "preprocessor_config.json"), "w"), indent=1)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(os.path.join(builtin, name)):
            shutil.copy(os.path.join(builtin, name), os.path.join(out, name))
    open(os.path.join(out, ".complete"), "w").write("ok\n")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
