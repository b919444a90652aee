import { describe, expect, it } from 'vitest';
import { hubFileUrl } from '../../../main/engine/vision/download';
import { filesFor, isBuiltin, loadRegistry } from '../../../main/engine/vision/model-registry';
import { providerOrder } from '../../../main/engine/vision/providers';
import { sha256FromEtag } from '../../../main/engine/vision/sha256';

describe('models/registry.json', () => {
  it('parses, lists the built-in model and the expected hub models', async () => {
    const registry = await loadRegistry();
    const ids = registry.models.map((entry) => entry.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'winnow-clip-mini',
        'clip-vit-base-patch32',
        'clip-vit-base-patch16',
        'clip-vit-large-patch14',
        'siglip-base-patch16-224',
        'mobileclip-s0',
        'owlvit-base-patch32',
        'owlv2-base-patch16-ensemble',
        'clipseg-rd64-refined',
        'slimsam-77-uniform',
      ]),
    );
    expect(registry.models.filter(isBuiltin).map((entry) => entry.id)).toEqual(['winnow-clip-mini']);
    for (const entry of registry.models) {
      if (isBuiltin(entry)) continue;
      expect(() => filesFor(entry, entry.defaultDtype)).not.toThrow();
    }
  });
});

describe('hub helpers', () => {
  it('builds resolve URLs with an endpoint override', () => {
    expect(hubFileUrl('Xenova/clip-vit-base-patch32', 'main', 'onnx/vision_model.onnx', {})).toBe(
      'https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/main/onnx/vision_model.onnx',
    );
    expect(hubFileUrl('a/b', 'main', 'config.json', { HF_ENDPOINT: 'https://hf-mirror.example/' })).toBe('https://hf-mirror.example/a/b/resolve/main/config.json');
  });

  it('accepts only sha256 ETags', () => {
    const sha = 'a'.repeat(64);
    expect(sha256FromEtag(`"${sha}"`)).toBe(sha);
    expect(sha256FromEtag(`W/"${sha.toUpperCase()}"`)).toBe(sha);
    expect(sha256FromEtag('"0123456789abcdef0123456789abcdef01234567"')).toBeUndefined();
  });
});

describe('providerOrder', () => {
  it('puts the platform accelerator first and always ends with cpu', () => {
    expect(providerOrder(undefined, 'linux', 'x64')).toEqual(['cuda', 'cpu']);
    expect(providerOrder(undefined, 'win32', 'x64')).toEqual(['dml', 'cpu']);
    expect(providerOrder(undefined, 'darwin', 'arm64')).toEqual(['coreml', 'cpu']);
    expect(providerOrder(undefined, 'linux', 'arm64')).toEqual(['cpu']);
    expect(providerOrder('cpu')).toEqual(['cpu']);
    expect(providerOrder('dml', 'linux', 'x64')).toEqual(['dml', 'cpu']);
  });
});
