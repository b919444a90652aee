// Winnow's ONNX sessions leave onnxruntime's telemetry off (it works offline): a process that creates a real
// session on the built-in text graph writes nothing under ~/.cache/Microsoft/DeveloperTools/.onnxruntime,
// where onnxruntime-node otherwise keeps a device id and an event database. A user who sets
// ORT_DISABLE_TELEMETRY=0 gets onnxruntime's default, which is also the check that this test can fail.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';

const TEXT_GRAPH = path.join(ROOT, 'models', 'winnow-clip-mini', 'onnx', 'text_model.onnx');

/** Runs one session creation through main/engine/vision/providers.ts in a fresh process whose home is a temp folder. */
async function sessionIn(env: Record<string, string>): Promise<string> {
  const home = await tempDir();
  const script = path.join(home, 'session.mts');
  writeFileSync(script, `import { createSessionWithFallback } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'main/engine/vision/providers.ts')).href)};
const { session, report } = await createSessionWithFallback(${JSON.stringify(TEXT_GRAPH)}, { provider: 'cpu', threads: 1 });
process.stdout.write(report.provider);
await session.dispose();
`);
  // Without CI: onnxruntime keeps telemetry off on its own where CI is set, which would make both cases pass for the wrong reason.
  const { ORT_DISABLE_TELEMETRY: _, CI: _ci, ...inherited } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', env: { ...inherited, HOME: home, ...env }, timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe('cpu');
  return path.join(home, '.cache', 'Microsoft', 'DeveloperTools', '.onnxruntime');
}

describe('onnxruntime telemetry', () => {
  it('is off for sessions Winnow creates: nothing is written under the home folder', async () => {
    expect(existsSync(await sessionIn({}))).toBe(false);
  });

  it("follows the user's explicit ORT_DISABLE_TELEMETRY=0 (onnxruntime then writes its device id)", async () => {
    expect(existsSync(path.join(await sessionIn({ ORT_DISABLE_TELEMETRY: '0' }), 'deviceid'))).toBe(true);
  });
});
