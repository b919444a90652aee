// The usage lines of `winnow models choices | choose | calibration | calibrate`, apart from the command so
// that `winnow --help` (main/cli/index.ts) prints them without loading the engine the command needs.
import { TASK_SLOTS } from '../domain/model-tasks';

export const MODEL_SETTINGS_USAGE = `models choices                   the model each task of the project uses (--project DIR)
  models choose TASK MODEL|default choose the project's model for a task (${TASK_SLOTS.join(', ')})
  models calibration [--model ID]  a model's calibrated defaults: model value, project override, source
  models calibrate --model ID [--set key=value ...] [--reset key|all ...]
                                   override a model's defaults for this project (templates: "a {}|a photo of a {}")`;
