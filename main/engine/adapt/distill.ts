// Distill: the adapted classifier exported as a small model folder that Winnow (or any onnxruntime)
// loads back: head.onnx (input image_embeds [batch, dim] from the named embedding model; outputs probs
// and logits), winnow-head.json (the machine-readable card) and README.md (the human one). The folder
// is written to a temporary sibling and renamed into place, like every export.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../domain/errors';
import { HeadCard, type AdaptReportT, type HeadCardT } from '../../domain/adapt';
import type { Project } from '../project';
import { adaptReports, headPath } from './reports';
import { HEAD_INPUT, HEAD_OUTPUTS } from './onnx-head';

export const HEAD_FILE = 'head.onnx';
export const CARD_FILE = 'winnow-head.json';

export function cardOf(report: AdaptReportT, modelHash: string | null, dim: number): HeadCardT {
  return {
    format: 'winnow-adapted-head', version: 1, embeddingModel: report.model, embeddingModelHash: modelHash, dim, classes: report.classes,
    method: report.chosen.method, params: report.chosen.params, trainingSize: report.trainingSize, accuracy: report.chosen.accuracy,
    zeroShotAccuracy: report.zeroShot.accuracy, input: HEAD_INPUT, outputs: [...HEAD_OUTPUTS], createdAt: new Date().toISOString(),
  };
}

function readme(card: HeadCardT): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return [
    `# Winnow adapted classifier (${card.method})`,
    '',
    `A classification head over the image embeddings of \`${card.embeddingModel}\` (${card.dim}-d, L2-normalized), adapted from a curator's reviews in Winnow.`,
    '',
    '| | |', '| --- | --- |',
    `| classes | ${card.classes.length} |`,
    `| training set | ${card.trainingSize} reviewed items |`,
    `| method | ${card.method} ${Object.entries(card.params).map(([k, v]) => `${k}=${v}`).join(', ')} |`,
    `| accuracy (cross-validated on the reviews) | ${pct(card.accuracy)} |`,
    `| zero-shot accuracy on the same reviews | ${pct(card.zeroShotAccuracy)} |`,
    '',
    `Input \`${card.input}\` [batch, ${card.dim}] float32: the embedding model's image embeddings. Outputs \`probs\` (softmax) and \`logits\`, [batch, ${card.classes.length}], classes in this order:`,
    '',
    ...card.classes.map((c, i) => `${i}. ${c}`),
    '',
    'The accuracy is estimated on the reviews by cross-validation (the best of a small grid, so slightly optimistic); reviews are what the curator looked at, not a random sample.',
    '',
  ].join('\n');
}

/** Writes the latest (or the given) adaptation's head as a model folder at `out`; returns its card. */
export function distill(project: Project, out: string, job?: number): HeadCardT {
  const reports = adaptReports(project);
  const report = job === undefined ? reports[reports.length - 1] : reports.find((r) => r.job === job);
  if (!report) throw new ApiError('not_found', job === undefined ? 'no adaptation yet: run "Adapt from reviews" (winnow adapt) first' : `no finished adaptation from job ${job}`);
  const set = project.embeddings.getSet(report.model);
  if (!set) throw new ApiError('conflict', `the embeddings of ${report.model} are gone`);
  const target = path.resolve(out);
  if (existsSync(target)) throw new ApiError('conflict', `${target} already exists; choose a new folder`);
  const card = cardOf(report, set.modelHash, set.dim);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(path.join(tmp, HEAD_FILE), readFileSync(headPath(project, report.job)));
    writeFileSync(path.join(tmp, CARD_FILE), `${JSON.stringify(card, null, 2)}\n`);
    writeFileSync(path.join(tmp, 'README.md'), readme(card));
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return card;
}

/** Reads a distilled head folder (its card validated); the ONNX bytes are loaded by OnnxHead. */
export function readHeadFolder(dir: string): { card: HeadCardT; onnx: Uint8Array } {
  const cardFile = path.join(dir, CARD_FILE);
  if (!existsSync(cardFile) || !existsSync(path.join(dir, HEAD_FILE))) throw new ApiError('bad_input', `${dir} is not a Winnow head folder (needs ${HEAD_FILE} and ${CARD_FILE})`);
  const parsed = HeadCard.safeParse(JSON.parse(readFileSync(cardFile, 'utf8')));
  if (!parsed.success) throw new ApiError('bad_input', `${cardFile}: ${parsed.error.issues[0]?.message ?? 'invalid card'}`);
  return { card: parsed.data, onnx: readFileSync(path.join(dir, HEAD_FILE)) };
}
