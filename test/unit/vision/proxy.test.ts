import { ProxyAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { bypassesProxy, dispatcherFor, proxyFor } from '../../../main/engine/vision/proxy';

describe('proxyFor', () => {
  it('uses HTTPS_PROXY for https and HTTP_PROXY for http, lowercase first', () => {
    const env = { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2', HTTP_PROXY: 'http://plain:3' };
    expect(proxyFor('https://huggingface.co/x', env)).toBe('http://lower:2');
    expect(proxyFor('http://mirror.local/x', env)).toBe('http://plain:3');
    expect(proxyFor('https://huggingface.co/x', {})).toBeUndefined();
    expect(proxyFor('https://huggingface.co/x', { ALL_PROXY: 'http://all:4' })).toBe('http://all:4');
  });

  it('respects NO_PROXY hosts, suffixes, ports and *', () => {
    const env = { HTTPS_PROXY: 'http://proxy:8080', HTTP_PROXY: 'http://proxy:8080', NO_PROXY: 'localhost,127.0.0.1,.internal.example,mirror.lan:8443' };
    expect(proxyFor('http://127.0.0.1:9999/file', env)).toBeUndefined();
    expect(proxyFor('http://localhost/file', env)).toBeUndefined();
    expect(proxyFor('https://cdn.internal.example/file', env)).toBeUndefined();
    expect(proxyFor('https://mirror.lan:8443/file', env)).toBeUndefined();
    expect(proxyFor('https://mirror.lan/file', env)).toBe('http://proxy:8080');
    expect(proxyFor('https://huggingface.co/file', env)).toBe('http://proxy:8080');
    expect(bypassesProxy(new URL('https://anything.example'), '*')).toBe(true);
    expect(bypassesProxy(new URL('https://notexample.com'), 'example.com')).toBe(false);
    expect(bypassesProxy(new URL('https://sub.example.com'), 'example.com')).toBe(true);
  });

  it('hands out a ProxyAgent only when a proxy applies', () => {
    expect(dispatcherFor('https://huggingface.co/x', { HTTPS_PROXY: 'http://127.0.0.1:3128' })).toBeInstanceOf(ProxyAgent);
    expect(dispatcherFor('http://127.0.0.1:5000/x', { HTTP_PROXY: 'http://127.0.0.1:3128', NO_PROXY: '127.0.0.1' })).toBeUndefined();
  });
});
