import type { SendFailure } from './types.js';

/** Phonebox refused a call, could not be reached, or answered in a shape it never uses. */
export class PhoneboxError extends Error {
  override name = 'PhoneboxError';
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The server's error kind (`no_message`, `bad_parameter`, `not_found`...), or
   * `unreachable` / `unexpected_answer` from this client. */
  readonly code: string;
  /** The request field at fault, when the server names one. */
  readonly field: string | undefined;

  constructor(message: string, { status, code, field }: { status: number; code: string; field?: string | undefined }) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** A wait ended with no message; `failure` is the send that failed meanwhile, when
 * Phonebox knows of one (a provider error, the built-in provider's cap...). */
export class NoMessageError extends PhoneboxError {
  override name = 'NoMessageError';
  readonly failure: SendFailure | undefined;

  constructor(message: string, failure: SendFailure | undefined) {
    super(message, { status: 404, code: 'no_message' });
    this.failure = failure;
  }
}

/** The emulated Auth0 tenant answered an error, in Auth0's `{error, error_description}`. */
export class Auth0Error extends Error {
  override name = 'Auth0Error';
  readonly status: number;
  /** Auth0's `error`: `invalid_grant`, `mfa_required`, `too_many_requests`... */
  readonly error: string;
  readonly description: string;
  /** The whole answer. */
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const error = typeof body.error === 'string' ? body.error : 'unknown_error';
    const description = typeof body.error_description === 'string' ? body.error_description : '';
    super(`${status} ${error}${description ? `: ${description}` : ''}`);
    this.status = status;
    this.error = error;
    this.description = description;
    this.body = body;
  }
}
