// A mistake the user can fix (bad path, invalid JSON, unknown entrypoint): printed as one clear
// line on stderr, never with a stack trace.
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
