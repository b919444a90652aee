"""Held-out validation of winnow-clip-mini on freshly rendered images (trainer's renderer, seeds
never used for training; includes the 8 held-out colour-shape combinations and a second,
independent rasterizer: PIL polygons at 4x, box-downsampled).

Metrics:
  zs_*        zero-shot top-1 over all 64 prompts "a photo of a {color} {shape}" on single-object
              images (seen / held-out combos; numpy raster and PIL raster)
  ret_i2t_r1  image->caption recall@1 among 1,000 pairs (hit = top caption's text equals the
              image's caption); ret_t2i_r1 the reverse
  pair_auc    ROC AUC of cosine(image, own caption) vs cosine(image, a caption of another image
              describing a different set of objects)
  loc_*       two-object scenes: the best patch for "{color} {shape}" lies inside the object
              (patch centre inside the mask, coverage >= 0.5) / inside the object's box
usage: python3 models/training/validate.py [--ckpt /tmp/winnow-train/ckpt.pt]
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import preprocess_uint8  # noqa: E402
from world import World  # noqa: E402


def _render(job):
    kind, seed, n, raster = job
    w = World()
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if kind == "zs":
            combo = w.all_combos[i % 64]
            sc = w.sample_scene(rng, n_objects=1, first_combo=combo)
        elif kind == "loc":  # exactly two objects (resample scenes where the second did not fit)
            sc = w.sample_scene(rng, n_objects=2, combos=w.all_combos)
            while len(sc["objects"]) != 2:
                sc = w.sample_scene(rng, n_objects=2, combos=w.all_combos)
        else:
            sc = w.sample_scene(rng, combos=w.all_combos)
        img, m = w.render(sc, raster=raster)
        out.append((img, m if kind == "loc" else None, sc, w.caption(sc, rng)))
    return out


def render_sets(seed, per_combo, procs=2):
    jobs = []
    for p in range(procs):
        jobs.append(("zs", seed * 10 + p, 64 * per_combo // procs, "numpy"))
        jobs.append(("zs", seed * 10 + 5 + p, 64 * max(per_combo // 2, 1) // procs, "pil"))
        jobs.append(("ret", seed * 10 + 7 + p, 1000 // procs, "numpy"))
        jobs.append(("loc", seed * 10 + 9 + p, 500 // procs, "numpy"))
    with mp.get_context("fork").Pool(procs) as pool:
        parts = pool.map(_render, jobs)
    sets = {}
    for (kind, _, _, raster), part in zip(jobs, parts):
        sets.setdefault(kind if kind != "zs" else f"zs_{raster}", []).extend(part)
    return sets


@torch.no_grad()
def embed_images(model, imgs, bs=256):
    ie, pe = [], []
    for i in range(0, len(imgs), bs):
        a, b = model.vision(preprocess_uint8(torch.from_numpy(np.stack(imgs[i:i + bs]))))
        ie.append(F.normalize(a, dim=-1))
        pe.append(F.normalize(b, dim=-1))
    return torch.cat(ie), torch.cat(pe)


@torch.no_grad()
def embed_texts(model, tok, texts, bs=512):
    out = []
    for i in range(0, len(texts), bs):
        ids, mask = tok(texts[i:i + bs])
        out.append(F.normalize(model.text(torch.tensor(ids), torch.tensor(mask)), dim=-1))
    return torch.cat(out)


def auc(pos, neg):
    s = np.concatenate([pos, neg])
    r = s.argsort().argsort().astype(np.float64) + 1
    return float((r[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def run(model, tok, w=None, seed=1000, per_combo=20, deadline=None, logf=print):
    w = w or World()
    model.eval()
    t0 = time.time()
    sets = render_sets(seed, per_combo)
    logf(f"validation images rendered in {time.time() - t0:.0f}s")
    M = {}
    prompts = [w.v["templates"]["zero_shot"].format(color=c, shape=s) for c, s in w.all_combos]
    tp = embed_texts(model, tok, prompts)
    held = {w.all_combos.index(cs) for cs in w.held_combos}
    for raster in ("numpy", "pil"):
        items = sets[f"zs_{raster}"]
        ie, _ = embed_images(model, [x[0] for x in items])
        pred = (ie @ tp.t()).argmax(1).numpy()
        gt = np.array([w.all_combos.index((x[2]["objects"][0]["color"], x[2]["objects"][0]["shape"])) for x in items])
        isheld = np.array([g in held for g in gt])
        sfx = "" if raster == "numpy" else "_pil"
        M[f"zs_seen{sfx}"] = float((pred == gt)[~isheld].mean())
        M[f"zs_held{sfx}"] = float((pred == gt)[isheld].mean())
        if raster == "numpy":
            pc, ps = pred // 8, pred % 8
            M["zs_color_acc"] = float((pc == gt // 8).mean())
            M["zs_shape_acc"] = float((ps == gt % 8).mean())
            M["n_zs"] = int(len(gt))
    # retrieval + pair AUC
    items = sets["ret"]
    ie, _ = embed_images(model, [x[0] for x in items])
    caps = [x[3] for x in items]
    tc = embed_texts(model, tok, caps)
    sim = (ie @ tc.t()).numpy()
    capsa = np.array(caps, dtype=object)
    M["ret_i2t_r1"] = float(np.mean(capsa[sim.argmax(1)] == capsa))
    M["ret_t2i_r1"] = float(np.mean(capsa[sim.argmax(0)] == capsa))
    keys = [tuple(sorted((o["color"], o["shape"]) for o in x[2]["objects"])) for x in items]
    rng = np.random.default_rng(seed)
    pos, neg = [], []
    for i in range(len(items)):
        pos.append(sim[i, i])
        j = int(rng.integers(len(items)))
        while keys[j] == keys[i]:
            j = int(rng.integers(len(items)))
        neg.append(sim[i, j])
    M["pair_auc"] = auc(np.array(pos), np.array(neg))
    M["n_ret"] = len(items)
    # localization
    items = sets["loc"]
    _, pe = embed_images(model, [x[0] for x in items])
    phr = [f"{o['color']} {o['shape']}" for x in items for o in x[2]["objects"]]
    tr = embed_texts(model, tok, phr)
    k = 0
    hit_m = hit_b = n = 0
    for x, p in zip(items, pe):
        for j, o in enumerate(x[2]["objects"]):
            best = int((p @ tr[k]).argmax())
            k += 1
            gy, gx = divmod(best, 8)
            cy, cx = gy * 8 + 4, gx * 8 + 4
            cov = x[1][j][cy - 1:cy + 1, cx - 1:cx + 1].mean()
            bx = o["box"]
            hit_m += cov >= 0.5
            hit_b += bx[0] <= cx <= bx[2] and bx[1] <= cy <= bx[3]
            n += 1
    M["loc_in_mask"] = hit_m / n
    M["loc_in_box"] = hit_b / n
    M["n_loc_objects"] = n
    M["seconds"] = round(time.time() - t0, 1)
    return M


if __name__ == "__main__":
    import argparse
    import json

    import tokenizer as T
    from model import ClipMini
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="/tmp/winnow-train/ckpt.pt")
    ap.add_argument("--per-combo", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ck = torch.load(a.ckpt)
    w = World()
    tj = T.build(w.all_words())
    tok = T.ClipBPE(tj, ck["cfg"]["max_len"])
    m = ClipMini(**ck["cfg"])
    m.load_state_dict(ck["model"])
    res = run(m, tok, w, seed=a.seed, per_combo=a.per_combo)
    print(json.dumps(res, indent=1))
    if a.json:
        json.dump(res, open(a.json, "w"), indent=1)
