// The contract loads one area's methods at a time (methodAreas → the area's table). The type of methodAreas makes it
// list every method with its area; this checks at run time that each area's loader really serves its methods, and
// that a validation through methodSchemas is the method's own (its strict input refuses an unknown key).
import { describe, expect, it } from 'vitest';
import { isMethodName, methodAreas, methodSchemas, type MethodName } from '../../main/api/contract';

describe('contract areas', () => {
  it("every method's schemas load from the area methodAreas names", async () => {
    const names = Object.keys(methodAreas) as MethodName[];
    expect(names.length).toBeGreaterThan(90);
    for (const name of names) {
      const schemas = await methodSchemas(name);
      expect(typeof schemas.input.safeParse, name).toBe('function');
      expect(typeof schemas.output.safeParse, name).toBe('function');
      expect(await methodSchemas(name), name).toBe(schemas); // built once
    }
    expect(isMethodName('search.text')).toBe(true);
    expect(isMethodName('toString')).toBe(false);
    expect(isMethodName('search.nothing')).toBe(false);
  });

  it('validates with the named method: search.text wants a query, search.items ids', async () => {
    const text = (await methodSchemas('search.text')).input;
    expect(text.safeParse({ query: 'a cat' }).success).toBe(true);
    expect(text.safeParse({ ids: [1] }).success).toBe(false);
    const items = (await methodSchemas('search.items')).input;
    expect(items.safeParse({ ids: [1, 2] }).success).toBe(true);
    expect(items.safeParse({ query: 'a cat' }).success).toBe(false);
  });
});
