// Apart from remote-client.ts so a command that never attaches (a read-only search) need not load ws to catch it.
/** The owner's API did not answer (it closed, or died): reconnect and find out who owns the project now. */
export class ApiUnreachableError extends Error {}
