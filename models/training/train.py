"""Train Winnow's built-in model (winnow-clip-mini) from scratch and export it.

How to run (from the repository root, CPU only, PyTorch >= 1.13 with numpy and PIL):

    nice -n 5 /usr/bin/python3 models/training/train.py --minutes 55

Time budget: `--minutes` is the wall-clock budget of the whole run (rendering the image pool,
training, validation and export); training stops by the clock, leaving `--reserve` minutes for
validation and export. Default 55 minutes on 2 cores.

What it does:
  1. builds the CLIP-format BPE tokenizer from models/world/vocabulary.json (tokenizer.py);
  2. pre-renders a pool of training images (world.py, seen colour-shape combinations only; the 8
     held-out combinations are never rendered for training) as numpy uint8;
  3. trains ClipMini (model.py) with, per step:
       - symmetric image-caption InfoNCE (captions re-sampled from the templates every step;
         captions describing the same set of objects count as positives),
       - image-prompt classification against "a photo of a {color} {shape}" style prompts of the
         56 seen combinations (multi-positive for multi-object images),
       - region-word alignment: every patch embedding inside object k is classified (softmax with
         a learned scale) among the text embeddings of the 56 seen phrases "{color} {shape}"
         and "background"; background patches target "background", mixed patches are ignored,
         with soft targets (a patch's share of each object and of the background, so patches on thin
         or small objects still learn),
       - phrase localization: for every object, a softmax over the 64 patches of its image scored
         against the object's phrase, targeting the patches it covers (the dense use ranks patches
         for one phrase, which the per-patch classification alone does not train),
       - attribute alignment: object patches vs the 8 colour words and the 8 shape words;
     hard negatives: half of each batch are single-object pairs sharing the colour or the shape;
     a curriculum starts with mostly single-object scenes; AdamW, warmup + cosine by wall clock;
  4. validates on freshly rendered images (other seeds; seen and held-out combos; two
     rasterizers) with validate.py;
  5. exports models/winnow-clip-mini/ (ONNX towers, configs, tokenizer, reference data, card).

Writes: models/winnow-clip-mini/**, a checkpoint and log under --work (default /tmp/winnow-train).
Seeded (--seed, default 0); thread count --threads (default 2).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import data as D  # noqa: E402
import tokenizer as T  # noqa: E402
from model import ClipMini, preprocess_uint8  # noqa: E402
from world import World  # noqa: E402

MAX_LEN = 32


def log(msg, f=None):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if f:
        f.write(line + "\n")
        f.flush()


class Batcher:
    """Samples batches from the pool: half random (curriculum-weighted towards single-object
    scenes early on), half hard-negative pairs of single-object images (same colour other
    shape, or same shape other colour)."""

    def __init__(self, pool, rng):
        self.p, self.rng = pool, rng
        nobj = (pool["objs"][:, :, 0] >= 0).sum(1)
        self.single = np.nonzero(nobj == 1)[0]
        self.multi = np.nonzero(nobj > 1)[0]
        c, s = pool["objs"][self.single, 0, 0], pool["objs"][self.single, 0, 1]
        self.by_color = [self.single[c == i] for i in range(8)]
        self.by_shape = [self.single[s == i] for i in range(8)]
        self.combo = c.astype(np.int64) * 8 + s

    def sample(self, B, frac_single):
        r = self.rng
        n_pairs = B // 4
        anchors = r.choice(len(self.single), n_pairs)
        idx = [self.single[anchors]]
        partners = []
        for a in anchors:
            ci, si = self.combo[a] // 8, self.combo[a] % 8
            group = self.by_color[ci] if r.random() < 0.5 else self.by_shape[si]
            partners.append(group[r.integers(len(group))])
        idx.append(np.asarray(partners))
        n_rand = B - 2 * n_pairs
        ns = r.binomial(n_rand, frac_single)
        idx.append(self.single[r.integers(len(self.single), size=ns)])
        idx.append(self.multi[r.integers(len(self.multi), size=n_rand - ns)])
        return np.concatenate(idx)


def text_batch(tok, texts):
    ids, mask = tok(texts)
    ids, mask = torch.tensor(ids), torch.tensor(mask)
    L = int(mask.sum(1).max())
    return ids[:, :L], mask[:, :L]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=55)
    ap.add_argument("--reserve", type=float, default=3.5, help="minutes kept for validation + export")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (1 is faster on an oversubscribed machine)")
    ap.add_argument("--v-width", type=int, default=128)
    ap.add_argument("--pool", type=int, default=28000, help="pre-rendered pool size (0: sized from --minutes)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--w-region", type=float, default=1.0)
    ap.add_argument("--w-cls", type=float, default=1.0)
    ap.add_argument("--w-attr", type=float, default=0.5)
    ap.add_argument("--w-loc", type=float, default=1.0)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "winnow-clip-mini"))
    ap.add_argument("--work", default="/tmp/winnow-train")
    ap.add_argument("--val-n", type=int, default=20, help="validation images per combination")
    args = ap.parse_args()

    t0 = time.time()
    deadline = t0 + args.minutes * 60
    train_end = deadline - args.reserve * 60
    os.makedirs(args.work, exist_ok=True)
    lf = open(os.path.join(args.work, "train.log"), "a")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    log(f"args {vars(args)}", lf)

    w = World()
    tj = T.build(w.all_words())
    tok = T.ClipBPE(tj, MAX_LEN)
    vocab = len(tj["model"]["vocab"])

    pool_n = args.pool or int(min(60000, max(6000, args.minutes * 800)))
    cache = os.path.join(args.work, f"pool_{pool_n}_{args.seed}.npz")
    if os.path.exists(cache):
        pool = dict(np.load(cache))
    else:
        pool = D.render_pool(pool_n, seed=args.seed + 1, single_frac=0.45, combos="seen", procs=2)
        np.savez(cache, **pool)
    log(f"rendered pool of {pool_n} images in {time.time() - t0:.0f}s", lf)

    model = ClipMini(vocab, tok.eot, MAX_LEN, v_width=args.v_width)
    nparam = sum(p.numel() for p in model.parameters())
    log(f"parameters: {nparam} (vision {sum(p.numel() for p in model.vision.parameters())}, "
        f"text {sum(p.numel() for p in model.text.parameters())})", lf)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98))

    seen_idx = [w.all_combos.index(cs) for cs in w.seen_combos]  # 56 combo ids (0..63)
    to_seen = np.full(66, -1, np.int64)
    to_seen[seen_idx] = np.arange(56)
    to_seen[D.BG] = 56
    phrase_forms = ["{c} {s}", "a {c} {s}", "a photo of a {c} {s}", "{c} {s}"]
    prompt_forms = w.v["templates"]["one"]
    attr_texts = w.colors + w.shapes

    batcher = Batcher(pool, rng)
    train_t0 = time.time()
    step, ema = 0, {}
    model.train()
    while True:
        now = time.time()
        if now >= train_end:
            break
        frac = (now - train_t0) / max(train_end - train_t0, 1)
        lr = args.lr * min(1.0, frac / 0.04) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        for g in opt.param_groups:
            g["lr"] = lr
        frac_single = max(0.35, 0.9 - frac / 0.3 * 0.55)
        idx = batcher.sample(args.batch, frac_single)
        B = len(idx)
        imgs = torch.from_numpy(pool["imgs"][idx])
        plab = torch.from_numpy(to_seen[pool["plab"][idx].astype(np.int64)])  # (B,8,8) 0..56 / -1
        flip = torch.from_numpy(rng.random(B) < 0.5)
        imgs = torch.where(flip.view(B, 1, 1, 1), imgs.flip(2), imgs)
        plab = torch.where(flip.view(B, 1, 1), plab.flip(2), plab).reshape(B, 64)
        pcov = torch.from_numpy(pool["pcov"][idx]).float() / 255.0  # (B,3,8,8)
        pcov = torch.where(flip.view(B, 1, 1, 1), pcov.flip(3), pcov).reshape(B, D.MAXOBJ, 64)
        objs = pool["objs"][idx]
        caps = [D.caption_for(w, objs[i], pool["bg"][idx[i]], rng) for i in range(B)]
        pf = phrase_forms[rng.integers(len(phrase_forms))]
        phrases = [pf.format(c=c, s=s) for c, s in w.seen_combos] + ["background"]
        pt = prompt_forms[rng.integers(len(prompt_forms))]
        bgname = w.v["backgrounds"]["names"][w.bg_kinds[rng.integers(5)]]
        prompts = [pt.format(obj=f"{c} {s}", background=bgname) for c, s in w.seen_combos]
        ie, pe = model.vision(preprocess_uint8(imgs))
        tc = model.text(*text_batch(tok, caps))  # captions and the short fixed texts are padded separately
        te = model.text(*text_batch(tok, phrases + prompts + attr_texts))
        ie, pe, tc, te = (F.normalize(t, dim=-1) for t in (ie, pe, tc, te))
        tr, tp, ta = te[:57], te[57:113], te[113:]
        s = model.logit_scale.clamp(max=math.log(100)).exp()
        rs = model.region_scale.clamp(max=math.log(100)).exp()

        # image-caption InfoNCE, positives = same set of (colour, shape)
        keys = [tuple(sorted((int(o[0]), int(o[1])) for o in r if o[0] >= 0)) for r in objs]
        same = torch.tensor([[ka == kb for kb in keys] for ka in keys], dtype=torch.float32)
        lg = s * ie @ tc.t()
        l_clip = 0.5 * (-(same / same.sum(1, keepdim=True) * lg.log_softmax(1)).sum(1).mean()
                        - (same / same.sum(0, keepdim=True) * lg.log_softmax(0)).sum(0).mean())
        # image-prompt classification (multi-positive)
        tgt = torch.zeros(B, 56)
        for i, r in enumerate(objs):
            for o in r:
                if o[0] >= 0:
                    tgt[i, to_seen[int(o[0]) * 8 + int(o[1])]] = 1
        tgt = tgt / tgt.sum(1, keepdim=True)
        l_cls = -(tgt * (s * ie @ tp.t()).log_softmax(1)).sum(1).mean()
        # region-word alignment, soft targets: each patch's share of every object and of the background
        slot = torch.from_numpy(to_seen[np.where(objs[:, :, 0] >= 0, objs[:, :, 0].astype(np.int64) * 8 + objs[:, :, 1], D.BG)])
        slot = torch.where(slot < 0, torch.full_like(slot, 56), slot)  # (B,3); empty slots have no coverage
        rl = rs * pe @ tr.t()  # (B,64,57)
        soft = torch.zeros(B, 64, 57).scatter_add_(2, slot.view(B, 1, -1).expand(B, 64, -1), pcov.transpose(1, 2))
        objcov = pcov.sum(1).clamp(max=1.0)
        soft[:, :, 56] = 1.0 - objcov
        wts = torch.where(objcov > 0.05, 1.0, 0.3)
        l_reg = (-(soft * rl.log_softmax(-1)).sum(-1) * wts).sum() / wts.sum()
        # phrase localization: for each visible object, which of its image's patches carry its phrase
        lp = rs * torch.einsum("bpd,bkd->bkp", pe, tr[slot])  # (B,3,64)
        mass = pcov.sum(-1)
        keep = (slot < 56) & (mass > 0.5)
        if keep.any():
            tgt_loc = pcov[keep] / mass[keep].unsqueeze(-1)
            l_loc = -(tgt_loc * lp[keep].log_softmax(-1)).sum(-1).mean()
        else:
            l_loc = torch.zeros(())
        # attribute alignment on object patches
        objp = (plab >= 0) & (plab < 56)
        if objp.any():
            comb = torch.tensor(seen_idx)[plab[objp]]
            al = rs * pe[objp] @ ta.t()
            l_attr = F.cross_entropy(al[:, :8], comb // 8) + F.cross_entropy(al[:, 8:], comb % 8)
        else:
            l_attr = torch.zeros(())
        loss = l_clip + args.w_cls * l_cls + args.w_region * l_reg + args.w_attr * l_attr + args.w_loc * l_loc

        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        with torch.no_grad():
            acc = ((s * ie @ tp.t()).argmax(1) == tgt.argmax(1))[tgt.max(1).values == 1].float().mean().item()
            racc = (rl.argmax(-1)[objp] == plab[objp]).float().mean().item() if objp.any() else 0.0
            inside = (pcov[keep].gather(1, lp[keep].argmax(-1, keepdim=True)) > 0.3).float().mean().item() if keep.any() else 0.0
        for k, v in dict(loss=loss.item(), clip=l_clip.item(), cls=l_cls.item(), reg=l_reg.item(), loc=float(l_loc),
                         attr=float(l_attr), acc1=acc, racc=racc, inside=inside).items():
            ema[k] = v if k not in ema else 0.95 * ema[k] + 0.05 * v
        if step % 25 == 0:
            log(f"step {step} t={time.time() - t0:.0f}s lr={lr:.2e} scale={s.item():.1f} rscale={rs.item():.1f} "
                + " ".join(f"{k}={v:.3f}" for k, v in ema.items()), lf)
        if step % 100 == 0:
            torch.save({"model": model.state_dict(), "cfg": model.cfg, "step": step}, os.path.join(args.work, "ckpt.pt"))

    train_s = time.time() - train_t0
    log(f"training stopped after {step} steps, {train_s / 60:.1f} min", lf)
    model.eval()
    ck = {"model": model.state_dict(), "cfg": model.cfg, "step": step, "train_minutes": train_s / 60,
          "total_minutes_budget": args.minutes, "pool": pool_n, "seed": args.seed, "batch": args.batch,
          "lr": args.lr, "params": nparam, "args": vars(args)}
    torch.save(ck, os.path.join(args.work, "ckpt.pt"))

    import validate
    metrics = validate.run(model, tok, w, seed=1000 + args.seed, per_combo=args.val_n,
                           deadline=deadline - 60, logf=lambda m: log(m, lf))
    log("validation " + json.dumps(metrics), lf)
    ck["metrics"] = metrics
    torch.save(ck, os.path.join(args.work, "ckpt.pt"))
    import export
    export.export(model, tj, tok, w, args.out, metrics=metrics, train_info=ck, logf=lambda m: log(m, lf))
    log(f"done in {(time.time() - t0) / 60:.1f} min", lf)


if __name__ == "__main__":
    main()
