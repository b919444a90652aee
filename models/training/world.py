"""Numpy renderer of Winnow's synthetic world (models/world/vocabulary.json).

Geometry conventions (shared with the TypeScript twin in main/synthetic):
  * shapes are polygons in unit coordinates (-1..1, y down), rotated by a uniform angle in
    +-max_rotation_degrees when `rotates`, scaled by r = uniform(size range) * min(W, H),
    translated so that the polygon's bounding box lies fully inside the image;
  * pixel (i, j) covers [j, j+1) x [i, i+1); filled with the even-odd rule, antialiased by 2x2
    supersampling (sample points at +0.25 / +0.75 inside each pixel);
  * object boxes overlap with IoU <= max_overlap_iou;
  * object colour = vocabulary RGB + uniform integer jitter in [-color_jitter, color_jitter];
  * background kinds plain / gradient / noise / stripes / checker, then gaussian blur
    (sigma in blur_sigma) and a JPEG round trip (quality in jpeg_quality) through PIL.

Ground truth per object: colour, shape, size name, box (x0, y0, x1, y1 in pixels), coverage mask.

`raster="pil"` draws the same scenes through PIL's polygon rasterizer at 4x and downsamples
with a box filter: a second, independent implementation used only for evaluation, so the
validation numbers do not rely on one rasterizer.
"""
from __future__ import annotations

import io
import json
import math
import os

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_PATH = os.path.join(HERE, "..", "world", "vocabulary.json")


def load_vocab(path: str = VOCAB_PATH) -> dict:
    with open(path) as f:
        return json.load(f)


class World:
    def __init__(self, vocab: dict | None = None):
        self.v = vocab or load_vocab()
        v = self.v
        self.shapes = list(v["shapes"].keys())
        self.colors = list(v["colors"].keys())
        self.sizes = list(v["sizes"].keys())
        self.polys = {s: np.asarray(v["shapes"][s]["polygon"], dtype=np.float64) for s in self.shapes}
        self.held_out = {tuple(p) for p in v["held_out"]}
        self.all_combos = [(c, s) for c in self.colors for s in self.shapes]
        self.seen_combos = [cs for cs in self.all_combos if cs not in self.held_out]
        self.held_combos = [cs for cs in self.all_combos if cs in self.held_out]
        self.palette = np.asarray(v["backgrounds"]["palette"], dtype=np.float64)
        self.bg_kinds = v["backgrounds"]["kinds"]

    # ------------------------------------------------------------------ scene sampling
    def sample_object(self, rng, W, H, combo, size=None):
        color, shape = combo
        size = size or self.sizes[rng.integers(len(self.sizes))]
        lo, hi = self.v["sizes"][size]
        r = rng.uniform(lo, hi) * min(W, H)
        maxrot = self.v["max_rotation_degrees"]
        angle = rng.uniform(-maxrot, maxrot) if self.v["shapes"][shape]["rotates"] else 0.0
        pts = self.transform(shape, r, angle, 0.0, 0.0)
        x0, y0 = pts.min(0)
        x1, y1 = pts.max(0)
        cx = rng.uniform(-x0, W - x1) if W - x1 > -x0 else W / 2
        cy = rng.uniform(-y0, H - y1) if H - y1 > -y0 else H / 2
        jit = self.v["color_jitter"]
        rgb = np.clip(np.asarray(self.v["colors"][color]) + rng.integers(-jit, jit + 1, 3), 0, 255)
        return dict(color=color, shape=shape, size=size, radius=r, angle=angle, cx=cx, cy=cy,
                    rgb=[int(x) for x in rgb],
                    box=[float(x0 + cx), float(y0 + cy), float(x1 + cx), float(y1 + cy)])

    def transform(self, shape, r, angle_deg, cx, cy):
        p = self.polys[shape]
        a = math.radians(angle_deg)
        ca, sa = math.cos(a), math.sin(a)
        x = p[:, 0] * ca - p[:, 1] * sa
        y = p[:, 0] * sa + p[:, 1] * ca
        return np.stack([x * r + cx, y * r + cy], 1)

    def sample_scene(self, rng, W=64, H=64, n_objects=None, combos=None, first_combo=None):
        """combos: list of allowed (color, shape) pairs (default: seen combos only)."""
        combos = combos if combos is not None else self.seen_combos
        lo, hi = self.v["objects_per_scene"]
        n = n_objects or int(rng.integers(lo, hi + 1))
        objs = []
        tries = 0
        while len(objs) < n and tries < 200:
            tries += 1
            if not objs and first_combo is not None:
                combo = first_combo
            else:
                combo = combos[rng.integers(len(combos))]
            o = self.sample_object(rng, W, H, combo)
            if all(box_iou(o["box"], p["box"]) <= self.v["max_overlap_iou"] for p in objs):
                objs.append(o)
        kind = self.bg_kinds[rng.integers(len(self.bg_kinds))]
        i, j = rng.choice(len(self.palette), 2, replace=False)
        bg = dict(kind=kind, c1=int(i), c2=int(j), angle=float(rng.uniform(0, 2 * math.pi)),
                  noise=float(rng.uniform(*self.v["backgrounds"]["noise_sigma"])),
                  period=float(rng.uniform(0.04, 0.12) * min(W, H)),
                  cell=float(rng.uniform(0.06, 0.15) * min(W, H)),
                  offset=[float(rng.uniform(0, 64)), float(rng.uniform(0, 64))],
                  noise_seed=int(rng.integers(2**31)))
        return dict(W=W, H=H, objects=objs, background=bg,
                    blur=float(rng.uniform(*self.v["blur_sigma"])),
                    jpeg=int(rng.integers(self.v["jpeg_quality"][0], self.v["jpeg_quality"][1] + 1)))

    # ------------------------------------------------------------------ rendering
    def background(self, bg, W, H, ss):
        """Background sampled on an ss x ss supersampling grid, shape (H*ss, W*ss, 3) float."""
        ys = (np.arange(H * ss) + 0.5) / ss
        xs = (np.arange(W * ss) + 0.5) / ss
        X, Y = np.meshgrid(xs, ys)
        c1, c2 = self.palette[bg["c1"]], self.palette[bg["c2"]]
        k = bg["kind"]
        if k == "plain":
            img = np.broadcast_to(c1, (H * ss, W * ss, 3)).astype(np.float64)
        elif k == "gradient":
            d = np.array([math.cos(bg["angle"]), math.sin(bg["angle"])])
            t = X * d[0] + Y * d[1]
            t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
            img = c1 * (1 - t[..., None]) + c2 * t[..., None]
        elif k == "noise":
            img = np.broadcast_to(c1, (H * ss, W * ss, 3)).astype(np.float64)
        elif k == "stripes":
            t = (X * math.cos(bg["angle"]) + Y * math.sin(bg["angle"])) / bg["period"]
            m = (np.floor(t * 2) % 2)[..., None]
            img = c1 * (1 - m) + c2 * m
        else:  # checker
            m = ((np.floor((X + bg["offset"][0]) / bg["cell"]) + np.floor((Y + bg["offset"][1]) / bg["cell"])) % 2)[..., None]
            img = c1 * (1 - m) + c2 * m
        return img

    def coverage(self, o, W, H, ss=2):
        """Even-odd coverage of object o on the pixel grid, shape (H, W) in [0, 1]."""
        pts = self.transform(o["shape"], o["radius"], o["angle"], o["cx"], o["cy"])
        x0 = max(int(math.floor(pts[:, 0].min())), 0)
        x1 = min(int(math.ceil(pts[:, 0].max())), W)
        y0 = max(int(math.floor(pts[:, 1].min())), 0)
        y1 = min(int(math.ceil(pts[:, 1].max())), H)
        cov = np.zeros((H, W))
        if x1 <= x0 or y1 <= y0:
            return cov
        ys = y0 + (np.arange((y1 - y0) * ss) + 0.5) / ss
        xs = x0 + (np.arange((x1 - x0) * ss) + 0.5) / ss
        X, Y = np.meshgrid(xs, ys)
        inside = even_odd(X.ravel(), Y.ravel(), pts).reshape(X.shape)
        cov[y0:y1, x0:x1] = inside.reshape(y1 - y0, ss, x1 - x0, ss).mean((1, 3))
        return cov

    def render(self, scene, raster="numpy"):
        """Returns (uint8 image HxWx3, coverage masks float (n, H, W))."""
        W, H = scene["W"], scene["H"]
        ss = 2
        bg = self.background(scene["background"], W, H, ss)
        img = bg.reshape(H, ss, W, ss, 3).mean((1, 3))
        if scene["background"]["kind"] == "noise":
            nr = np.random.default_rng(scene["background"]["noise_seed"])
            img = img + nr.normal(0, scene["background"]["noise"], img.shape)
        covs = []
        for o in scene["objects"]:
            cov = self.coverage(o, W, H, ss) if raster == "numpy" else self.coverage_pil(o, W, H)
            covs.append(cov)
            img = img * (1 - cov[..., None]) + np.asarray(o["rgb"], np.float64) * cov[..., None]
        if scene["blur"] > 0.05:
            img = gaussian_blur(img, scene["blur"])
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=scene["jpeg"])
        buf.seek(0)
        img = np.asarray(Image.open(buf).convert("RGB"))
        masks = np.stack(covs) if covs else np.zeros((0, H, W))
        return img, masks

    def coverage_pil(self, o, W, H, ss=4):
        pts = self.transform(o["shape"], o["radius"], o["angle"], o["cx"], o["cy"]) * ss
        im = Image.new("L", (W * ss, H * ss), 0)
        ImageDraw.Draw(im).polygon([(float(x) - 0.5, float(y) - 0.5) for x, y in pts], fill=255)
        return np.asarray(im.resize((W, H), Image.BOX), np.float64) / 255.0

    # ------------------------------------------------------------------ captions
    def phrase(self, o, rng, with_size=None):
        tpls = self.v["templates"]["object"]
        t = tpls[rng.integers(len(tpls))] if with_size is None else tpls[1 if with_size else 0]
        return t.format(color=o["color"], shape=o["shape"], size=o["size"])

    def caption(self, scene, rng):
        objs = scene["objects"]
        T = self.v["templates"]
        key = {1: "one", 2: "two", 3: "three"}[len(objs)]
        t = T[key][rng.integers(len(T[key]))]
        bgname = self.v["backgrounds"]["names"][scene["background"]["kind"]]
        ph = [self.phrase(o, rng) for o in objs]
        if len(objs) == 1:
            return t.format(obj=ph[0], background=bgname)
        return t.format(background=bgname, **{f"obj{i+1}": p for i, p in enumerate(ph)})

    def all_words(self):
        """Every word the vocabulary can put into a caption (for tokenizer training)."""
        v = self.v
        texts = []
        for k in ("one", "two", "three"):
            texts += v["templates"][k]
        texts += v["templates"]["object"] + [v["templates"]["zero_shot"]]
        texts += self.colors + self.shapes + self.sizes + list(v["backgrounds"]["names"].values())
        texts += v["junk_captions"] + v.get("watermark_texts", [])
        texts += ["background", "shape", "object", "photo"]
        return texts


def even_odd(px, py, pts):
    inside = np.zeros(px.shape, dtype=bool)
    n = len(pts)
    for k in range(n):
        xa, ya = pts[k]
        xb, yb = pts[(k + 1) % n]
        if ya == yb:
            continue
        cond = (ya > py) != (yb > py)
        xint = xa + (py - ya) * (xb - xa) / (yb - ya)
        inside ^= cond & (px < xint)
    return inside


def gaussian_blur(img, sigma):
    rad = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-rad, rad + 1)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    p = np.pad(img, ((rad, rad), (rad, rad), (0, 0)), mode="edge")
    H, W = img.shape[:2]
    t = sum(k[i] * p[:, i:i + W] for i in range(len(k)))
    return sum(k[i] * t[i:i + H] for i in range(len(k)))


def box_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


if __name__ == "__main__":
    import sys
    import time
    w = World()
    rng = np.random.default_rng(0)
    t = time.time()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    tiles = []
    for i in range(n):
        sc = w.sample_scene(rng)
        img, m = w.render(sc)
        if i < 32:
            tiles.append(img)
            print(w.caption(sc, rng))
    print(f"{(time.time() - t) / n * 1000:.2f} ms/image")
    grid = np.concatenate([np.concatenate(tiles[r * 8:(r + 1) * 8], 1) for r in range(4)], 0)
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save("/tmp/world_grid.png")
