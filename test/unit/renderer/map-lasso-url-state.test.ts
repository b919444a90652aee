// The map lasso's point-in-polygon test against a grid of points whose inside/outside is known by geometry,
// and the URL state round trip (what a reload reads back is what was written; bad links degrade, never throw).
import { describe, expect, it } from 'vitest';
import { boundsOf, insidePolygon } from '../../../renderer/src/views/map/lasso';
import { decodeUrlState, encodeUrlState } from '../../../renderer/src/state/url-codec';

describe('lasso', () => {
  it('an L-shaped (concave) lasso contains exactly the points of its two arms', () => {
    // L = [0,10]×[0,4] ∪ [0,4]×[0,10]; points on a 0.5-offset grid never touch an edge.
    const poly = [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 4 }, { x: 4, y: 4 }, { x: 4, y: 10 }, { x: 0, y: 10 }];
    for (let x = -1.5; x < 12; x += 1) {
      for (let y = -1.5; y < 12; y += 1) {
        const truth = (x > 0 && x < 10 && y > 0 && y < 4) || (x > 0 && x < 4 && y > 0 && y < 10);
        expect(insidePolygon(x, y, poly), `${x},${y}`).toBe(truth);
      }
    }
    expect(boundsOf(poly)).toEqual({ x0: 0, y0: 0, x1: 10, y1: 10 });
  });
});

describe('URL state', () => {
  it('round-trips screen, view, cursor, scroll and open item', () => {
    const u = { page: 'map' as const, view: { label: 'cat', region: { ids: [3, 5, 8] }, search: { text: 'a red “circle” & more', minScore: 0.21 } }, cursor: 12, top: 40, item: 9 };
    expect(decodeUrlState(`#${encodeUrlState(u)}`)).toEqual(u);
    expect(encodeUrlState({ page: 'grid', view: {}, cursor: 0, top: 0, item: null })).toBe('');
    expect(decodeUrlState('')).toBeNull();
  });

  it('a damaged link keeps what it can', () => {
    expect(decodeUrlState('#page=nowhere&view=%7Bbroken&at=-4&top=abc')).toEqual({ page: 'grid', view: {}, cursor: 0, top: 0, item: null });
  });
});
