#!/usr/bin/env python3
"""A PIL replica of Hugging Face's Python image processors (CLIP, SigLIP, OWL-ViT, ViT/CLIPSeg, OWLv2), used as the
second reference by `npm run bench:preprocess` (never by tests or CI). Usage: pil_preprocess.py CONFIG IMAGE OUT
writes the CHW float32 tensor to OUT. Follows transformers' image_processing_*.py: PIL resize with the config's
resample, floor-centred crop, rescale, normalize; OWLv2 rescales, pads bottom/right to a square with 0.5, then
resizes (transformers anti-aliases with a Gaussian and zooms bilinearly; PIL's BILINEAR on float planes, which
also filters when it shrinks, stands in for that here)."""
import json
import sys

import numpy as np
from PIL import Image

config = json.load(open(sys.argv[1]))
image = Image.open(sys.argv[2]).convert("RGB")
resample = config.get("resample", 3)
kind = config.get("image_processor_type", "CLIPImageProcessor")
size = config.get("size")
mean = np.array(config.get("image_mean", [0.48145466, 0.4578275, 0.40821073]), dtype=np.float32)
std = np.array(config.get("image_std", [0.26862954, 0.26130258, 0.27577711]), dtype=np.float32)


def resize_float(array, width, height):
    planes = [np.asarray(Image.fromarray(array[:, :, c], mode="F").resize((width, height), resample=Image.BILINEAR)) for c in range(3)]
    return np.stack(planes, axis=2)


if kind == "Owlv2ImageProcessor":
    array = np.asarray(image, dtype=np.float32) * config.get("rescale_factor", 1 / 255)
    h, w = array.shape[:2]
    side = max(h, w)
    padded = np.full((side, side, 3), 0.5, dtype=np.float32)
    padded[:h, :w] = array
    array = resize_float(padded, size["width"], size["height"])
else:
    if "shortest_edge" in size:
        edge = size["shortest_edge"]
        w, h = image.size
        # transformers' get_resize_output_image_size(default_to_square=False): short side to edge, long side floored.
        new = (edge, int(edge * h / w)) if w <= h else (int(edge * w / h), edge)
        image = image.resize(new, resample=resample)
    else:
        image = image.resize((size["width"], size["height"]), resample=resample)
    if config.get("do_center_crop", False):
        crop = config["crop_size"]
        ch, cw = (crop, crop) if isinstance(crop, int) else (crop["height"], crop["width"])
        w, h = image.size
        top, left = (h - ch) // 2, (w - cw) // 2
        image = image.crop((left, top, left + cw, top + ch))
    array = np.asarray(image, dtype=np.float32) * config.get("rescale_factor", 1 / 255)

array = (array - mean) / std
array.transpose(2, 0, 1).astype(np.float32).tofile(sys.argv[3])
