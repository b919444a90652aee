"""Winnow CLIP-mini: a two-tower CLIP for 64x64 images (vision: conv stem + transformer, keeps
patch tokens; text: causal transformer pooled at the first <|endoftext|>)."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


FAST_LINEAR = True  # this machine's torch has reference BLAS; oneDNN convolutions are ~15x faster


class Lin(nn.Linear):
    """nn.Linear computed as a 1x1 convolution (oneDNN) during training; plain F.linear when
    FAST_LINEAR is False (export / reference), numerically the same function."""

    def forward(self, x):
        if not FAST_LINEAR or x.dim() != 3:
            return F.linear(x, self.weight, self.bias)
        y = F.conv1d(x.transpose(1, 2), self.weight.unsqueeze(-1), self.bias)
        return y.transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.h = heads
        self.qkv = Lin(dim, dim * 3)
        self.out = Lin(dim, dim)

    def forward(self, x, bias=None):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.h, C // self.h).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(C // self.h))
        if bias is not None:
            a = a + bias
        a = a.softmax(-1)
        return self.out((a @ v).transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp=4):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(Lin(dim, dim * mlp), nn.GELU(), Lin(dim * mlp, dim))

    def forward(self, x, bias=None):
        x = x + self.attn(self.ln1(x), bias)
        return x + self.mlp(self.ln2(x))


def conv_bn(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.GELU())


class VisionTower(nn.Module):
    """pixel_values [B,3,64,64] (CLIP-normalized) -> (image_embeds [B,D], patch_embeds [B,64,D])."""

    def __init__(self, width=160, layers=3, heads=4, dim=128):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 32, 2), conv_bn(32, 64, 2), conv_bn(64, 64, 1),
                                  conv_bn(64, 128, 2), nn.Conv2d(128, width, 1))
        self.cls = nn.Parameter(torch.zeros(1, 1, width))
        self.pos = nn.Parameter(torch.randn(1, 65, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.proj = nn.Linear(width, dim, bias=False)
        self.patch_proj = Lin(width, dim, bias=False)

    def forward(self, x):
        f = self.stem(x).flatten(2).transpose(1, 2)  # [B,64,W], row-major over the 8x8 grid
        x = torch.cat([self.cls.expand(f.shape[0], -1, -1), f], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        x = self.ln(x)
        return self.proj(x[:, 0]), self.patch_proj(x[:, 1:])


class TextTower(nn.Module):
    """input_ids, attention_mask [B,L] -> text_embeds [B,D]; causal, pooled at the first EOT
    (falls back to the last attended token when there is no EOT)."""

    def __init__(self, vocab, eot_id, max_len=32, width=128, layers=3, heads=4, dim=128):
        super().__init__()
        self.eot = eot_id
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(1, max_len, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(width)
        self.proj = nn.Linear(width, dim, bias=False)
        nn.init.normal_(self.tok.weight, std=0.02)
        self.register_buffer("causal", torch.triu(torch.full((max_len, max_len), -1e4), 1), persistent=False)

    def forward(self, ids, mask):
        L = ids.shape[1]
        x = self.tok(ids) + self.pos[:, :L]
        bias = self.causal[:L, :L]
        for b in self.blocks:
            x = b(x, bias)
        x = self.ln(x)
        is_eot = (ids == self.eot).to(torch.float32)
        first = torch.argmax(is_eot, 1)
        last = mask.to(torch.int64).sum(1) - 1
        pos = torch.where(is_eot.sum(1) > 0, first, last.clamp(min=0))
        pooled = x.gather(1, pos.view(-1, 1, 1).expand(-1, 1, x.shape[2])).squeeze(1)
        return self.proj(pooled)


class ClipMini(nn.Module):
    def __init__(self, vocab, eot_id, max_len=32, dim=128, v_width=160, v_layers=2, t_width=128, t_layers=2):
        super().__init__()
        self.vision = VisionTower(v_width, v_layers, 4, dim)
        self.text = TextTower(vocab, eot_id, max_len, t_width, t_layers, 4, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.region_scale = nn.Parameter(torch.tensor(math.log(10.0)))
        self.cfg = dict(vocab=vocab, eot_id=eot_id, max_len=max_len, dim=dim, v_width=v_width,
                        v_layers=v_layers, t_width=t_width, t_layers=t_layers)


CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def preprocess_uint8(x: torch.Tensor) -> torch.Tensor:
    """uint8 [B,64,64,3] -> CLIP-normalized float [B,3,64,64] (what preprocessor_config.json does)."""
    x = x.permute(0, 3, 1, 2).float() * (1 / 255.0)
    return (x - CLIP_MEAN) / CLIP_STD
