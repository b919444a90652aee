import path from 'node:path';
import sharp from 'sharp';

/** Photo-like JPEGs: smooth colour fields with edges and mild noise, 512–1024 px on each side. */
export async function makeJpegs(dir: string, count: number): Promise<string[]> {
  const files: string[] = [];
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < count; i++) {
    const width = 512 + Math.floor(random() * 513);
    const height = 512 + Math.floor(random() * 513);
    const pixels = Buffer.alloc(width * height * 3);
    const [fx, fy, phase] = [random() * 0.05, random() * 0.05, random() * 6];
    const cx = random() * width;
    const cy = random() * height;
    const radius = (0.2 + random() * 0.3) * Math.min(width, height);
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
        const wave = Math.sin(x * fx + phase) * Math.cos(y * fy);
        const noise = (random() - 0.5) * 24;
        pixels[o] = Math.max(0, Math.min(255, 128 + 90 * wave + (inside ? 60 : 0) + noise));
        pixels[o + 1] = Math.max(0, Math.min(255, 100 + 70 * Math.cos(x * fy - phase) + noise));
        pixels[o + 2] = Math.max(0, Math.min(255, inside ? 40 + noise : 160 + 60 * wave + noise));
      }
    }
    const file = path.join(dir, `img-${String(i).padStart(5, '0')}.jpg`);
    await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 88 }).toFile(file);
    files.push(file);
  }
  return files;
}
