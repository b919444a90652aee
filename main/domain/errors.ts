// The one error every layer throws and every transport carries, with a stable code.
import { describeOwner } from './owner';

export class ApiError extends Error {
  constructor(
    readonly code: 'bad_input' | 'not_found' | 'no_project' | 'conflict' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

/** Another live process owns the project: attach to it through its API, or open the project read-only. */
export class ProjectOwnedError extends ApiError {
  constructor(
    readonly dir: string,
    readonly owner: { pid: number; host: string; command: string; startedAt: string; apiUrl: string | null },
  ) {
    super('conflict', `${dir} is owned by ${describeOwner(owner)}`);
  }
}
