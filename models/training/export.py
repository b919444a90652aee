"""Export winnow-clip-mini in the Hugging Face / Transformers.js layout.

Writes into a temporary folder next to --out and renames it into place:
  onnx/vision_model.onnx  pixel_values [b,3,64,64] -> image_embeds [b,D], patch_embeds [b,64,D]
  onnx/text_model.onnx    input_ids, attention_mask [b,seq] int64 -> text_embeds [b,D]
  config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json,
  special_tokens_map.json, README.md, reference/ (fixed images, tensors and torch embeddings)
usage (re-export a checkpoint): python3 models/training/export.py [--ckpt /tmp/winnow-train/ckpt.pt]
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import card  # noqa: E402

OPSET = 14
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


class VisionExport(nn.Module):
    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        return self.vision(pixel_values)


class TextExport(nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids, attention_mask):
        return self.text(input_ids, attention_mask)


def preprocess_png(path) -> np.ndarray:
    """CLIP preprocessing for images that need no resize: center crop to 64x64, rescale, normalize.
    Returns float32 CHW."""
    im = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    H, W = im.shape[:2]
    assert min(H, W) == 64
    top, left = (H - 64) // 2, (W - 64) // 2
    im = im[top:top + 64, left:left + 64]
    x = im * np.float32(1 / 255.0)
    x = (x - np.asarray(MEAN, np.float32)) / np.asarray(STD, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def hf_config(model, tj, w, logit_scale):
    c = model.cfg
    return {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "_name_or_path": "winnow-clip-mini",
        "projection_dim": c["dim"],
        "logit_scale_init_value": math.log(1 / 0.07),
        "initializer_factor": 1.0,
        "torch_dtype": "float32",
        "text_config": {
            "model_type": "clip_text_model", "vocab_size": c["vocab"], "hidden_size": c["t_width"],
            "intermediate_size": 4 * c["t_width"], "num_hidden_layers": c["t_layers"], "num_attention_heads": 4,
            "max_position_embeddings": c["max_len"], "hidden_act": "gelu", "projection_dim": c["dim"],
            "bos_token_id": tj["model"]["vocab"]["<|startoftext|>"], "eos_token_id": c["eot_id"],
            "pad_token_id": c["eot_id"]},
        "vision_config": {
            "model_type": "clip_vision_model", "image_size": 64, "patch_size": 8, "num_channels": 3,
            "hidden_size": c["v_width"], "intermediate_size": 4 * c["v_width"], "num_hidden_layers": c["v_layers"],
            "num_attention_heads": 4, "hidden_act": "gelu", "projection_dim": c["dim"],
            "stem": "conv3x3 s2 (32) -> conv3x3 s2 (64) -> conv3x3 s1 (64) -> conv3x3 s2 (128) -> conv1x1 (hidden); BatchNorm+GELU"},
        "winnow": {
            "logit_scale": logit_scale,
            "patch_grid": [8, 8],
            "patch_output": "patch_embeds",
            "image_output": "image_embeds",
            "text_output": "text_embeds",
            "embeddings_normalized": False,
            "zero_shot_template": w.v["templates"]["zero_shot"],
            "classes": [f"{c} {s}" for c, s in w.all_combos],
            "held_out_classes": [f"{c} {s}" for c, s in w.held_combos],
            "background_phrase": "background",
        },
    }


def preprocessor_config():
    return {
        "do_resize": True, "size": {"shortest_edge": 64}, "resample": 3,
        "do_center_crop": True, "crop_size": {"height": 64, "width": 64},
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": MEAN, "image_std": STD,
        "do_convert_rgb": True, "image_processor_type": "CLIPImageProcessor",
        "feature_extractor_type": "CLIPFeatureExtractor",
    }


REF_CAPTIONS = ["a photo of a red circle", "a small blue star and a large yellow heart",
                "a photo of a red star", "a green cross on a checkered background",
                "IMG_0042.JPG", "", "three shapes: a pink heart, a cyan square and a purple diamond"]


def write_reference(model, tok, w, ref_dir):
    os.makedirs(ref_dir, exist_ok=True)
    rng = np.random.default_rng(20261128)
    specs = [("ref_single_64x64.png", 64, 64, 1, ("red", "circle")),
             ("ref_two_64x64.png", 64, 64, 2, ("blue", "star")),
             ("ref_heldout_64x64.png", 64, 64, 1, ("yellow", "hexagon")),
             ("ref_crop_96x64.png", 96, 64, 2, ("green", "cross"))]
    images = []
    pix = []
    for fname, W, H, n, combo in specs:
        sc = w.sample_scene(rng, W=W, H=H, n_objects=n, combos=w.all_combos, first_combo=combo)
        img, _ = w.render(sc)
        Image.fromarray(img).save(os.path.join(ref_dir, fname))
        x = preprocess_png(os.path.join(ref_dir, fname))
        pix.append(x)
        base = fname[:-4]
        x.tofile(os.path.join(ref_dir, base + ".pixel_values.f32"))
        images.append({"file": fname, "width": W, "height": H, "caption": w.caption(sc, rng),
                       "pixel_values": base + ".pixel_values.f32", "pixel_values_shape": [3, 64, 64]})
    with torch.no_grad():
        ie, pe = model.vision(torch.from_numpy(np.stack(pix)))
    for i, im in enumerate(images):
        base = im["file"][:-4]
        pe[i].numpy().astype("<f4").tofile(os.path.join(ref_dir, base + ".patch_embeds.f32"))
        im["image_embeds"] = [float(v) for v in ie[i]]
        im["patch_embeds"] = base + ".patch_embeds.f32"
        im["patch_embeds_shape"] = [64, ie.shape[1]]
        im["patch_embeds_first"] = [float(v) for v in pe[i, 0, :8]]
    ids, mask = tok(REF_CAPTIONS)
    with torch.no_grad():
        te = model.text(torch.tensor(ids), torch.tensor(mask))
    texts = [{"text": t, "input_ids": ids[i], "attention_mask": mask[i], "text_embeds": [float(v) for v in te[i]]}
             for i, t in enumerate(REF_CAPTIONS)]
    ref = {"about": "Reference inputs/outputs computed with PyTorch (eval mode) from the exported weights. "
                    "*.f32 files are raw little-endian float32, C-order. pixel_values are CLIP-preprocessed (CHW); "
                    "no image needs resizing (64x64, or 96x64 that only needs the 64x64 center crop). "
                    "text inputs are padded to model_max_length with <|endoftext|>.",
           "tolerance": 1e-4, "max_length": tok.max_length, "images": images, "texts": texts}
    with open(os.path.join(ref_dir, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)


def export(model, tj, tok, w, out, metrics=None, train_info=None, logf=print):
    import tokenizer as T
    import model as model_module
    model_module.FAST_LINEAR = False  # export and reference values use plain F.linear (ONNX MatMul/Gemm)
    model.eval()
    out = os.path.abspath(out)
    tmp = out + f".tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "onnx"))
    vis, txt = VisionExport(model.vision), TextExport(model.text)
    vis.eval()
    txt.eval()
    with torch.no_grad():
        torch.onnx.export(vis, (torch.randn(2, 3, 64, 64),), os.path.join(tmp, "onnx", "vision_model.onnx"),
                          input_names=["pixel_values"], output_names=["image_embeds", "patch_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"},
                                        "patch_embeds": {0: "batch_size"}},
                          opset_version=OPSET, do_constant_folding=True)
        ids, mask = tok(["a photo of a red circle", "a blue star"])
        torch.onnx.export(txt, (torch.tensor(ids), torch.tensor(mask)), os.path.join(tmp, "onnx", "text_model.onnx"),
                          input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                        "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                        "text_embeds": {0: "batch_size"}},
                          opset_version=OPSET, do_constant_folding=True)
    assert not vis.training and not txt.training and not model.training
    logit_scale = float(model.logit_scale.detach().clamp(max=math.log(100)).exp())
    dump = lambda name, obj: json.dump(obj, open(os.path.join(tmp, name), "w"), indent=1, ensure_ascii=False)
    dump("config.json", hf_config(model, tj, w, logit_scale))
    dump("preprocessor_config.json", preprocessor_config())
    with open(os.path.join(tmp, "tokenizer.json"), "w") as f:
        json.dump(tj, f, ensure_ascii=False)
    dump("tokenizer_config.json", T.tokenizer_config(tok.max_length))
    dump("special_tokens_map.json", T.special_tokens_map())
    write_reference(model, tok, w, os.path.join(tmp, "reference"))
    nparam = sum(p.numel() for p in model.parameters())
    with open(os.path.join(tmp, "README.md"), "w") as f:
        f.write(card.render(model, nparam, logit_scale, metrics, train_info, w))
    old = out + f".old-{os.getpid()}"
    if os.path.exists(out):
        os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    logf(f"exported {out} ({size / 1e6:.2f} MB)")
    return out


if __name__ == "__main__":
    import argparse

    import tokenizer as T
    from model import ClipMini
    from world import World
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="/tmp/winnow-train/ckpt.pt")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "winnow-clip-mini"))
    ap.add_argument("--metrics", default="", help="json file with validation metrics for the card")
    a = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt)
    w = World()
    tj = T.build(w.all_words())
    tok = T.ClipBPE(tj, ck["cfg"]["max_len"])
    m = ClipMini(**ck["cfg"])
    m.load_state_dict(ck["model"])
    metrics = json.load(open(a.metrics)) if a.metrics else ck.get("metrics")
    export(m, tj, tok, w, a.out, metrics=metrics, train_info=ck)
