import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../main/engine/jobs/rate';

describe('RateMeter', () => {
  it('converges on the true rate and gives an ETA', () => {
    let t = 0;
    const meter = new RateMeter(0, () => t);
    for (let i = 1; i <= 20; i++) {
      t = i * 1000;
      meter.update(i * 50);
    }
    expect(meter.perSecond).toBeCloseTo(50, 0);
    expect(meter.eta(1000, 2000)).toBeCloseTo(20, 0);
    expect(new RateMeter(0).eta(0, 10)).toBeNull();
  });
});
