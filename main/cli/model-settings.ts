// `winnow models choices | choose TASK MODEL | calibration | calibrate`: a project's model per task and its
// calibration overrides, through the same contract methods as the Models view.
import type { ModelCalibrationT, TaskChoiceT } from '../api/methods/model-settings';
import { parseCalibrationValue } from '../domain/calibration';
import { CALIBRATION_KEYS, TASK_SLOTS, type CalibrationKey, type CalibrationValue, type TaskSlot } from '../domain/model-tasks';
import type { CommandContext } from './commands';
import { withSession } from './with-session';

export function formatChoices(choices: TaskChoiceT[]): string {
  const width = Math.max(...choices.map((c) => c.label.length));
  return choices.map((c) => `${c.label.padEnd(width)}  ${c.model ?? '(none installed)'}${c.chosen ? '' : ' (default)'}`).join('\n');
}

const show = (v: CalibrationValue | null) => (v === null ? '—' : Array.isArray(v) ? v.join(' | ') : String(v));

export function formatCalibration(cal: ModelCalibrationT): string {
  const lines = [`calibration of ${cal.model} (value: project override, else model default)`];
  for (const e of cal.entries) {
    lines.push(`  ${e.key.padEnd(18)} ${show(e.value).padEnd(12)} ${e.from === 'project' ? `project override (model default ${show(e.modelValue)})` : e.from === 'model' ? 'model default' : 'not set'}`);
    if (e.modelSource && e.from !== 'none') lines.push(`  ${''.padEnd(18)} source: ${e.modelSource}`);
  }
  return lines.join('\n');
}

function parseSets(sets: readonly string[]): Partial<Record<CalibrationKey, unknown>> {
  const out: Partial<Record<CalibrationKey, unknown>> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    const key = s.slice(0, eq) as CalibrationKey;
    if (eq < 1 || !CALIBRATION_KEYS.includes(key)) throw new Error(`--set ${s}: expected key=value with key one of ${CALIBRATION_KEYS.join(', ')}`);
    out[key] = parseCalibrationValue(key, s.slice(eq + 1));
  }
  return out;
}

export function modelSettingsCommand(ctx: CommandContext, sub: string): Promise<number> {
  const v = ctx.values;
  return withSession(ctx, `models ${sub}`, async ({ client }) => {
    switch (sub) {
      case 'choices': {
        const choices = await client.call('models.choices', {});
        ctx.print(formatChoices(choices), choices);
        return 0;
      }
      case 'choose': {
        const [task, model] = ctx.args.slice(1);
        if (!TASK_SLOTS.includes(task as TaskSlot) || !model) throw new Error(`usage: winnow models choose TASK MODEL|default (TASK: ${TASK_SLOTS.join(', ')})`);
        const choices = await client.call('models.choose', { task: task as TaskSlot, model: model === 'default' ? null : model });
        ctx.print(formatChoices(choices), choices);
        return 0;
      }
      case 'calibration': {
        const cal = await client.call('models.calibration', v.model ? { model: v.model } : {});
        ctx.print(formatCalibration(cal), cal);
        return 0;
      }
      default: {
        if (!v.model || (!v.set?.length && !v.reset?.length)) throw new Error('usage: winnow models calibrate --model ID [--set key=value ...] [--reset key|all ...]');
        const reset = v.reset?.includes('all') ? 'all' as const : (v.reset as CalibrationKey[] | undefined);
        const cal = await client.call('models.calibrate', { model: v.model, ...(v.set?.length && { set: parseSets(v.set) }), ...(reset && { reset }) });
        ctx.print(formatCalibration(cal), cal);
        return 0;
      }
    }
  });
}
