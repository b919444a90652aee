// SAM pre/post-processing geometry with known answers (SamImageProcessor's rounding, prompt scaling,
// low-res mask → original pixels through the padded square).
import { describe, expect, it } from 'vitest';
import { samGeometry, samMaskFromLogits, samPointCoords } from '../../../main/engine/detect/sam';

describe('SAM geometry', () => {
  it('resizes the longest side to 1024 with half-up rounding, as SamImageProcessor does', () => {
    expect(samGeometry(200, 100, 1024)).toMatchObject({ resizedWidth: 1024, resizedHeight: 512, side: 1024 });
    expect(samGeometry(333, 500, 1024)).toMatchObject({ resizedWidth: 682, resizedHeight: 1024 }); // 333·2.048 = 681.98
    expect(samGeometry(640, 427, 1024)).toMatchObject({ resizedWidth: 1024, resizedHeight: 683 }); // 427·1.6 = 683.2
  });

  it('scales prompt points per axis into the resized frame', () => {
    const g = samGeometry(200, 100, 1024);
    expect([...samPointCoords([{ x: 100, y: 50, label: 1 }, { x: 0, y: 100, label: 0 }], g)]).toEqual([512, 256, 0, 512]);
  });

  it('maps a low-res mask over the padded square back to the original image, dropping the padding', () => {
    // 200×100 image → 1024×512 inside the 1024 square → rows 0..127 of a 256×256 low-res map hold the image.
    const g = samGeometry(200, 100, 1024);
    const low = new Float32Array(256 * 256).fill(-5);
    // Positive over the left half of the image part (x < 128, y < 128); the padded rows below are positive too.
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) if ((x < 128 && y < 128) || y >= 128) low[y * 256 + x] = 5;
    const mask = samMaskFromLogits(low, 0, 256, 256, g);
    let left = 0, right = 0;
    for (let y = 0; y < 100; y++) for (let x = 0; x < 200; x++) { if (mask[y * 200 + x]) { if (x < 100) left++; else right++; } }
    expect(left).toBe(100 * 100);
    // The padding's positive rows never reach the image (except the bilinear seam at the last row).
    expect(right).toBeLessThanOrEqual(100);
    // A clip box keeps only what lies inside it.
    const clipped = samMaskFromLogits(low, 0, 256, 256, g, [10, 10, 20, 20]);
    expect(clipped.reduce((a, b) => a + b, 0)).toBe(400);
  });
});
