"""Model card (README.md) of winnow-clip-mini."""
from __future__ import annotations


def _pct(m, k):
    return f"{100 * m[k]:.1f}%" if m and k in m else "n/a"


def _cmd(info):
    a = info.get("args")
    if not a:
        return f"--minutes {info.get('total_minutes_budget', 55):g} --seed {info.get('seed', 0)}"
    keep = ["minutes", "reserve", "seed", "threads", "v_width", "pool", "batch", "lr", "w_region", "w_cls", "w_attr", "w_loc", "val_n"]
    return " ".join(f"--{k.replace('_', '-')} {a[k]:g}" if isinstance(a[k], float) else f"--{k.replace('_', '-')} {a[k]}"
                    for k in keep if k in a)


def render(model, nparam, logit_scale, metrics, info, w) -> str:
    c = model.cfg
    info = info or {}
    m = metrics or {}
    vis = sum(p.numel() for p in model.vision.parameters())
    txt = sum(p.numel() for p in model.text.parameters())
    steps = info.get("step", 0)
    mins = info.get("train_minutes", 0.0)
    held = ", ".join(f"{a} {b}" for a, b in w.held_combos)
    status = ("**Untrained / smoke-test export** (pipeline check; embeddings are meaningless)."
              if steps < 50 else f"Trained ({steps} steps).")
    val = "No validation run for this export." if not m else f"""\
Measured by `models/training/validate.py` **on the trainer's own renderer** (`models/training/world.py`),
with fresh seeds never used for training (not on the TypeScript generator):

| metric | value |
|---|---|
| zero-shot top-1 over 64 prompts, seen combos (numpy raster, n={m.get('n_zs', '?')} total) | {_pct(m, 'zs_seen')} |
| zero-shot top-1, held-out combos ({held}) | {_pct(m, 'zs_held')} |
| zero-shot top-1, seen, second rasterizer (PIL polygons 4x, box filter) | {_pct(m, 'zs_seen_pil')} |
| zero-shot top-1, held-out, second rasterizer | {_pct(m, 'zs_held_pil')} |
| colour / shape part of the zero-shot prediction correct | {_pct(m, 'zs_color_acc')} / {_pct(m, 'zs_shape_acc')} |
| image -> caption recall@1 among {m.get('n_ret', 1000)} pairs (1-3 objects, all combos) | {_pct(m, 'ret_i2t_r1')} |
| caption -> image recall@1 | {_pct(m, 'ret_t2i_r1')} |
| pair-score ROC AUC (own caption vs caption of a different object set) | {m.get('pair_auc', float('nan')):.4f} |
| two-object scenes: best patch for "{{color}} {{shape}}" inside the object's mask (n={m.get('n_loc_objects', '?')}) | {_pct(m, 'loc_in_mask')} |
| same, patch centre inside the object's box | {_pct(m, 'loc_in_box')} |

{m.get('note', '')}
"""
    return f"""---
license: apache-2.0
library_name: transformers.js
pipeline_tag: zero-shot-image-classification
tags: [clip, onnx, winnow, synthetic]
---

# winnow-clip-mini

Winnow's built-in vision-language model: a miniature two-tower CLIP trained from scratch, on CPU, on
the synthetic world of `models/world/vocabulary.json` (8 shapes x 8 colours, 3 sizes, 5 background
kinds, blur and JPEG). It embeds 64x64 images and short captions into one space and also returns
one embedding per 8x8 image patch in that space, so zero-shot detection / segmentation is a cosine
between patch embeddings and a text embedding. It only knows this world.

{status}

## Files

| file | content |
|---|---|
| `onnx/vision_model.onnx` | `pixel_values` float32 [batch,3,64,64] -> `image_embeds` [batch,{c['dim']}], `patch_embeds` [batch,64,{c['dim']}] (row-major over the 8x8 grid; projected, **not** normalized) |
| `onnx/text_model.onnx` | `input_ids`, `attention_mask` int64 [batch,seq] -> `text_embeds` [batch,{c['dim']}] (projected, not normalized) |
| `config.json` | HF CLIP config + `winnow` block: `logit_scale` (= exp of the learned value, {logit_scale:.3f}), `patch_grid`, `patch_output`, `classes` |
| `preprocessor_config.json` | CLIPImageProcessor: shortest edge 64, bicubic, center crop 64, /255, CLIP mean/std |
| `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json` | CLIP-format byte-level BPE (`</w>` suffix), {c['vocab']} tokens, `<|startoftext|>`/`<|endoftext|>`, pad = `<|endoftext|>`, model_max_length {c['max_len']} |
| `reference/` | fixed PNGs (no resize needed), their preprocessed tensors, PyTorch embeddings and tokenized captions for checking any runtime (`reference.json`) |

Scores: normalize both embeddings, cosine x `winnow.logit_scale` gives CLIP logits. ONNX opset 14, dynamic batch (and sequence) axes.

## Architecture ({nparam:,} parameters, float32)

- Vision tower ({vis:,}): conv stem 3x3/s2 (32) -> 3x3/s2 (64) -> 3x3/s1 (64) -> 3x3/s2 (128) with
  BatchNorm + GELU, 1x1 to width {c['v_width']} -> 8x8 patch tokens + a class token, learned positions,
  {c['v_layers']} pre-LN transformer layers (4 heads, MLP x4), final LayerNorm; `image_embeds` = linear
  projection of the class token, `patch_embeds` = a second linear projection of the patch tokens.
- Text tower ({txt:,}): token + learned position embeddings, {c['t_layers']} causal pre-LN transformer
  layers (width {c['t_width']}, 4 heads), LayerNorm, pooled at the first `<|endoftext|>` (like CLIP;
  last attended token if there is none), linear projection.
- Shared space: {c['dim']} dimensions; learned temperature (logit scale) and a learned region scale.

## Training

- Data: a pool of images pre-rendered once (numpy uint8) by `models/training/world.py` from
  the vocabulary, 1-3 objects, **only the 56 seen colour-shape combinations**; the 8 held-out
  combinations ({held}) are never rendered for training. Captions re-sampled from the templates
  every step. Horizontal flips. Pool size {info.get('pool', '?')}.
- Objectives: symmetric image-caption InfoNCE (captions describing the same object set count as
  positives); image-prompt classification against the 56 seen prompts; region-word alignment
  (each patch classified among the text embeddings of the 56 seen phrases "{{color}} {{shape}}" and
  "background", with soft targets: the patch's visible share of each object, the rest background);
  phrase localization (for every visible object, a softmax over the 64 patches of its image scored
  against the object's phrase, targeting the patches it covers: the dense use ranks patches for one
  phrase, which per-patch classification alone does not train); attribute alignment of object
  patches with the 8 colour words and the 8 shape words.
  Held-out phrases are never used as targets or negatives.
- Batches of {info.get('batch', '?')}: half hard-negative pairs (same colour other shape / same shape other
  colour), half random; curriculum from mostly single-object to mixed scenes.
- AdamW (lr {info.get('lr', '?')}, wd 0.05), warmup + cosine schedule sized to the wall-clock budget.
- {steps} steps, {mins:.1f} minutes of training on a shared 2-core CPU machine ({(info.get('args') or {}).get('threads', 2)} torch thread(s); PyTorch {__import__('torch').__version__}), seed {info.get('seed', 0)}.

Retrain (wall-clock budget {info.get('total_minutes_budget', 55):g} minutes on 2 cores, including pool rendering,
validation and export; writes this folder; results vary with the CPU speed since training stops by the clock):

    nice -n 5 /usr/bin/python3 models/training/train.py {_cmd(info)}

Verify an export with Node + onnxruntime-node: `node models/training/verify_export.mjs models/winnow-clip-mini`.

## Validation (trainer's renderer)

{val}
## Quality on the TypeScript generator

Measured by `npm run eval:model -- --write-card` (`models/evaluation/evaluate.ts`), which writes its table into this
section and `evaluation.json` beside it; rerun it after retraining.

## Limitations

Knows only this synthetic world: 8 colours, 8 shapes, 3 sizes and the background kinds; other words
fall back to byte tokens and give meaningless embeddings. 64x64 input; 8x8 patch grid (8-pixel
localization resolution).

## License

Apache-2.0.
"""
