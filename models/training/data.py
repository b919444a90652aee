"""Pre-rendered image pools (numpy uint8) with per-object and per-patch ground truth."""
from __future__ import annotations

import multiprocessing as mp

import numpy as np

from world import World

MAXOBJ = 3
GRID = 8
IGNORE, BG = -1, 64  # patch labels: -1 ignore, 0..63 combo index (color-major), 64 background


def patch_labels(masks: np.ndarray, H=64, W=64) -> np.ndarray:
    """masks (n,H,W) coverage -> (8,8) int labels: object combo slot (0..n-1), BG or IGNORE."""
    lab = np.full((GRID, GRID), IGNORE, np.int64)
    if len(masks) == 0:
        lab[:] = BG
        return lab
    cov = masks.reshape(len(masks), GRID, H // GRID, GRID, W // GRID).mean((2, 4))  # (n,8,8)
    tot = cov.sum(0)
    best = cov.argmax(0)
    bmax = cov.max(0)
    lab[tot < 0.05] = BG
    sel = bmax >= 0.3
    lab[sel] = best[sel]
    return lab


def patch_coverage(masks: np.ndarray, H=64, W=64) -> np.ndarray:
    """masks (n,H,W) coverage -> (n,8,8) fraction of each patch covered by each object."""
    if len(masks) == 0:
        return np.zeros((0, GRID, GRID))
    return masks.reshape(len(masks), GRID, H // GRID, GRID, W // GRID).mean((2, 4))


def _render_chunk(args):
    seed, n, single_frac, combos_key, raster, keep_masks = args
    w = World()
    combos = w.seen_combos if combos_key == "seen" else w.all_combos
    rng = np.random.default_rng(seed)
    imgs = np.zeros((n, 64, 64, 3), np.uint8)
    objs = np.full((n, MAXOBJ, 3), -1, np.int16)  # color, shape, size indices
    bgk = np.zeros(n, np.int8)
    plab = np.zeros((n, GRID, GRID), np.int8)
    pcov = np.zeros((n, MAXOBJ, GRID, GRID), np.uint8)  # per-object patch coverage x255
    masks = np.zeros((n if keep_masks else 0, MAXOBJ, 64, 64), np.uint8)
    for i in range(n):
        k = 1 if rng.random() < single_frac else None
        sc = w.sample_scene(rng, n_objects=k, combos=combos)
        img, m = w.render(sc, raster=raster)
        imgs[i] = img
        lab = patch_labels(m)
        if len(m):
            # later objects are drawn over earlier ones: keep only what stays visible
            vis = m.copy()
            for j in range(len(m) - 1):
                vis[j] = m[j] * np.prod(1 - m[j + 1:], axis=0)
            pcov[i, :len(m)] = np.rint(patch_coverage(vis) * 255)
        for j, o in enumerate(sc["objects"]):
            ci, si = w.colors.index(o["color"]), w.shapes.index(o["shape"])
            objs[i, j] = (ci, si, w.sizes.index(o["size"]))
            lab = np.where(lab == j, 100 + ci * 8 + si, lab)
            if keep_masks:
                masks[i, j] = np.rint(m[j] * 255)
        lab = np.where(lab >= 100, lab - 100, lab)
        plab[i] = lab
        bgk[i] = w.bg_kinds.index(sc["background"]["kind"])
    return imgs, objs, bgk, plab, masks, pcov


def render_pool(n, seed, single_frac=0.4, combos="seen", raster="numpy", procs=2, keep_masks=False):
    chunks = max(procs * 4, 1)
    sizes = [n // chunks + (1 if i < n % chunks else 0) for i in range(chunks)]
    jobs = [(seed * 1000 + i, s, single_frac, combos, raster, keep_masks) for i, s in enumerate(sizes) if s > 0]
    if procs > 1:
        with mp.get_context("fork").Pool(procs) as p:
            parts = p.map(_render_chunk, jobs)
    else:
        parts = [_render_chunk(j) for j in jobs]
    keys = ["imgs", "objs", "bg", "plab", "masks", "pcov"]
    return {k: np.concatenate([p[i] for p in parts]) for i, k in enumerate(keys)}


def caption_for(w: World, objs_row, bg_idx, rng) -> str:
    T = w.v["templates"]
    obs = [o for o in objs_row if o[0] >= 0]
    key = {1: "one", 2: "two", 3: "three"}[len(obs)]
    t = T[key][rng.integers(len(T[key]))]
    ph = [w.v["templates"]["object"][rng.integers(2)].format(
        color=w.colors[o[0]], shape=w.shapes[o[1]], size=w.sizes[o[2]]) for o in obs]
    bgname = w.v["backgrounds"]["names"][w.bg_kinds[bg_idx]]
    if len(obs) == 1:
        return t.format(obj=ph[0], background=bgname)
    return t.format(background=bgname, **{f"obj{i+1}": p for i, p in enumerate(ph)})
