import { fillGaussian } from './gaussian-table';
import type { Rng } from './random';
import type { BackgroundKind, Rgb, Vocabulary } from './vocabulary';

/** Everything needed to redraw a background exactly; noise is regenerated from noiseSeed. */
export interface BackgroundSpec {
  kind: BackgroundKind;
  colors: Rgb[];
  /** gradient / stripes direction in degrees. */
  angleDeg: number;
  /** stripes: full period (two stripes) in px; checker: cell side in px. */
  periodPx: number;
  /** stripes / checker phase offset in px. */
  offsetPx: number;
  noiseSigma: number;
  noiseSeed: string;
}

function twoColors(rng: Rng, vocab: Vocabulary): Rgb[] {
  const [a, b] = rng.shuffle(vocab.backgrounds.palette);
  return [a, b];
}

export function sampleBackground(rng: Rng, vocab: Vocabulary, width: number, height: number): BackgroundSpec {
  const kind = rng.pick(vocab.backgrounds.kinds);
  const short = Math.min(width, height);
  const spec: BackgroundSpec = {
    kind,
    colors: [],
    angleDeg: 0,
    periodPx: 0,
    offsetPx: 0,
    noiseSigma: 0,
    noiseSeed: '',
  };
  switch (kind) {
    case 'plain':
      spec.colors = [rng.pick(vocab.backgrounds.palette)];
      break;
    case 'gradient':
      spec.colors = twoColors(rng, vocab);
      spec.angleDeg = rng.uniform(0, 360);
      break;
    case 'noise':
      spec.colors = [rng.pick(vocab.backgrounds.palette)];
      spec.noiseSigma = rng.uniform(vocab.backgrounds.noise_sigma[0], vocab.backgrounds.noise_sigma[1]);
      spec.noiseSeed = `${rng.nextUint32()}`;
      break;
    case 'stripes':
      spec.colors = twoColors(rng, vocab);
      spec.periodPx = Math.max(2, rng.uniform(0.04, 0.12) * short);
      spec.angleDeg = rng.uniform(0, 180);
      spec.offsetPx = rng.uniform(0, spec.periodPx);
      break;
    case 'checker':
      spec.colors = twoColors(rng, vocab);
      spec.periodPx = Math.max(1, rng.uniform(0.06, 0.15) * short);
      spec.offsetPx = rng.uniform(0, spec.periodPx);
      break;
  }
  return spec;
}

/** Renders the background into a new RGB buffer (row-major, 3 bytes per pixel). */
export function renderBackground(spec: BackgroundSpec, width: number, height: number, makeRng: (seed: string) => Rng): Buffer {
  const out = Buffer.allocUnsafe(width * height * 3);
  const [c0, c1] = [spec.colors[0], spec.colors[1] ?? spec.colors[0]];
  // Loops below avoid per-pixel calls: backgrounds are a large share of generation time.
  switch (spec.kind) {
    case 'plain':
      out.fill(Buffer.from(c0));
      break;
    case 'gradient': {
      const theta = (spec.angleDeg * Math.PI) / 180;
      const ux = Math.cos(theta);
      const uy = Math.sin(theta);
      // Normalize the projection over the image corners so the ramp spans exactly c0 -> c1.
      const corners = [0, ux * (width - 1), uy * (height - 1), ux * (width - 1) + uy * (height - 1)];
      const lo = Math.min(...corners);
      const span = Math.max(...corners) - lo || 1;
      const [r0, g0, b0] = c0;
      const dr = c1[0] - r0;
      const dg = c1[1] - g0;
      const db = c1[2] - b0;
      for (let y = 0, i = 0; y < height; y++) {
        for (let x = 0; x < width; x++, i += 3) {
          const t = (x * ux + y * uy - lo) / span;
          out[i] = Math.round(r0 + dr * t);
          out[i + 1] = Math.round(g0 + dg * t);
          out[i + 2] = Math.round(b0 + db * t);
        }
      }
      break;
    }
    case 'noise': {
      const noise = new Float32Array(out.length);
      fillGaussian(makeRng(spec.noiseSeed), noise, spec.noiseSigma);
      for (let i = 0; i < out.length; i += 3) {
        // Buffer assignment truncates; clamp + round explicitly.
        out[i] = clampByte(c0[0] + noise[i]);
        out[i + 1] = clampByte(c0[1] + noise[i + 1]);
        out[i + 2] = clampByte(c0[2] + noise[i + 2]);
      }
      break;
    }
    case 'stripes': {
      const theta = (spec.angleDeg * Math.PI) / 180;
      const nx = Math.cos(theta);
      const ny = Math.sin(theta);
      const half = spec.periodPx / 2;
      for (let y = 0, i = 0; y < height; y++) {
        const rowOffset = y * ny + spec.offsetPx;
        for (let x = 0; x < width; x++, i += 3) {
          const c = (Math.floor((x * nx + rowOffset) / half) & 1) === 0 ? c0 : c1;
          out[i] = c[0];
          out[i + 1] = c[1];
          out[i + 2] = c[2];
        }
      }
      break;
    }
    case 'checker': {
      const cell = spec.periodPx;
      const columnParity = new Uint8Array(width);
      for (let x = 0; x < width; x++) columnParity[x] = Math.floor((x + spec.offsetPx) / cell) & 1;
      for (let y = 0, i = 0; y < height; y++) {
        const rowParity = Math.floor((y + spec.offsetPx) / cell) & 1;
        for (let x = 0; x < width; x++, i += 3) {
          const c = (columnParity[x] ^ rowParity) === 0 ? c0 : c1;
          out[i] = c[0];
          out[i + 1] = c[1];
          out[i + 2] = c[2];
        }
      }
      break;
    }
  }
  return out;
}

export function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
