"""CLIP-format byte-level BPE tokenizer for Winnow's world.

`build(world)` learns merges with a tiny BPE training over every word the vocabulary can put in a
caption (templates, colours, shapes, sizes, background names, junk captions, watermark texts) until
each such word is a single token, and returns the Hugging Face `tokenizer.json` dict (same layout as
openai/clip-vit-base-patch32: NFC + whitespace collapse + lowercase, CLIP split regex, ByteLevel
without regex, BPE with `</w>` suffix, RobertaProcessing with <|startoftext|>/<|endoftext|>).
Unknown words fall back to byte tokens (all 256 bytes, with and without `</w>`, are in the vocab).

`ClipBPE(tokenizer_json)` is the python encoder (real BPE: merges applied by rank) used by training.
"""
from __future__ import annotations

import re
import unicodedata

SOT, EOT = "<|startoftext|>", "<|endoftext|>"
CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
# python `re` has no \p{..}: equivalent for letters / numbers / other
PY_SPLIT = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+""")


SPECIAL_SPLIT = re.compile(r"(<\|startoftext\|>|<\|endoftext\|>)")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


B2U = bytes_to_unicode()


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).lower()


def pretokenize(text: str) -> list[str]:
    return ["".join(B2U[b] for b in w.encode("utf-8")) for w in PY_SPLIT.findall(normalize(text))]


def word_symbols(w: str) -> list[str]:
    s = list(w)
    s[-1] = s[-1] + "</w>"
    return s


def learn_merges(texts: list[str]) -> list[tuple[str, str]]:
    words = sorted({w for t in texts for w in pretokenize(t)})
    segs = {w: word_symbols(w) for w in words}
    merges = []
    while True:
        counts: dict[tuple[str, str], int] = {}
        for s in segs.values():
            for p in zip(s, s[1:]):
                counts[p] = counts.get(p, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        for w, s in segs.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            segs[w] = out
    return merges


def build(texts: list[str]) -> dict:
    merges = learn_merges(texts)
    base = list(B2U.values())
    vocab_list = base + [b + "</w>" for b in base] + ["".join(m) for m in merges]
    assert len(set(vocab_list)) == len(vocab_list)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    sot_id, eot_id = len(vocab_list), len(vocab_list) + 1
    vocab[SOT], vocab[EOT] = sot_id, eot_id
    special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                            "normalized": True, "special": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(sot_id, SOT), special(eot_id, EOT)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": [EOT, eot_id], "cls": [SOT, sot_id],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": EOT, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }


def tokenizer_config(max_length: int) -> dict:
    return {
        "add_prefix_space": False,
        "bos_token": SOT,
        "eos_token": EOT,
        "pad_token": EOT,
        "unk_token": EOT,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "errors": "replace",
        "model_max_length": max_length,
        "model_input_names": ["input_ids", "attention_mask"],
        "tokenizer_class": "CLIPTokenizer",
    }


def special_tokens_map() -> dict:
    tok = lambda c: {"content": c, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    return {"bos_token": tok(SOT), "eos_token": tok(EOT), "pad_token": tok(EOT), "unk_token": tok(EOT)}


class ClipBPE:
    def __init__(self, tj: dict, max_length: int = 32):
        m = tj["model"]
        self.vocab = m["vocab"]
        self.ranks = {tuple(s.split(" ")): i for i, s in enumerate(m["merges"])}
        self.sot, self.eot = self.vocab[SOT], self.vocab[EOT]
        self.max_length = max_length
        self.cache: dict[str, list[int]] = {}

    def bpe(self, word: str) -> list[str]:
        s = word_symbols(word)
        while len(s) > 1:
            pairs = [(self.ranks.get(p, 1 << 30), i) for i, p in enumerate(zip(s, s[1:]))]
            r, i = min(pairs)
            if r == 1 << 30:
                break
            a, b = s[i], s[i + 1]
            out, j = [], 0
            while j < len(s):  # merge every occurrence of the pair (a, b), left to right
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            s = out
        return s

    def encode(self, text: str) -> list[int]:
        """ids with <|startoftext|> ... <|endoftext|>, not truncated, not padded."""
        if text in self.cache:
            return self.cache[text]
        ids = [self.sot]
        for part in SPECIAL_SPLIT.split(text):  # special tokens in the text map to their ids, as in HF
            if part in (SOT, EOT):
                ids.append(self.vocab[part])
                continue
            for w in pretokenize(part):
                ids += [self.vocab[t] for t in self.bpe(w)]
        ids.append(self.eot)
        self.cache[text] = ids
        return ids

    def __call__(self, texts: list[str]):
        """Pad to max_length with <|endoftext|> and an attention mask (truncation keeps EOT last)."""
        L = self.max_length
        ids, mask = [], []
        for t in texts:
            x = self.encode(t)
            if len(x) > L:
                x = x[:L - 1] + [self.eot]
            mask.append([1] * len(x) + [0] * (L - len(x)))
            ids.append(x + [self.eot] * (L - len(x)))
        return ids, mask


if __name__ == "__main__":
    # Writes tokenizer files + parity cases for verify_tokenizer.mjs:
    #   python3 models/training/tokenizer.py /tmp/tok && node models/training/verify_tokenizer.mjs /tmp/tok /tmp/tok/cases.json
    import json
    import os
    import sys

    import numpy as np

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from world import World

    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/tok"
    os.makedirs(out, exist_ok=True)
    w = World()
    tj = build(w.all_words())
    enc = ClipBPE(tj)
    rng = np.random.default_rng(1)
    caps = []
    for _ in range(300):
        sc = w.sample_scene(rng, combos=w.all_combos, W=8, H=8)
        caps.append(w.caption(sc, rng))
    caps += [w.v["templates"]["zero_shot"].format(color=c, shape=s) for c, s in w.all_combos]
    caps += w.v["junk_captions"] + w.v.get("watermark_texts", [])
    caps += ["Hello, World!", "naïve café 42", "a RED   Star\n\ton a noisy background", "zebra xylophone",
             "don't it's we'll", "emoji 🙂 test", "UPPER lower MiXeD", "a_b-c.d", "   leading", "x" * 40,
             "<|startoftext|>a red star<|endoftext|>", "red,blue;green", "1234567890", "Ünïcödé ß"]
    json.dump(tj, open(os.path.join(out, "tokenizer.json"), "w"), ensure_ascii=False)
    json.dump(tokenizer_config(32), open(os.path.join(out, "tokenizer_config.json"), "w"))
    json.dump([{"text": c, "ids": enc.encode(c)} for c in caps], open(os.path.join(out, "cases.json"), "w"))
    print(f"{len(caps)} cases, vocab {len(tj['model']['vocab'])}, merges {len(tj['model']['merges'])}")
