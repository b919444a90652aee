// The one error every layer throws and every transport carries, with a stable code.
export class ApiError extends Error {
  constructor(
    readonly code: 'bad_input' | 'not_found' | 'no_project' | 'conflict' | 'internal',
    message: string,
  ) {
    super(message);
  }
}
