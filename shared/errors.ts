/**
 * One error model for the whole app: expected failures carry a stable `code`, a message a person
 * can act on and optional details; HTTP maps them to `{ error: { code, message, details } }`. Bugs and transient
 * faults stay plain `Error`s so the Functions host can retry them.
 */
export type ErrorDetails = Record<string, unknown> | readonly unknown[];

export interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: ErrorDetails;
}

/** HTTP statuses the error codes map to; anything not listed here is a 500. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: ErrorStatus = 400,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export const badRequest = (code: string, message: string, details?: ErrorDetails): AppError =>
  new AppError(code, message, 400, details);
export const notFound = (code: string, message: string, details?: ErrorDetails): AppError =>
  new AppError(code, message, 404, details);
export const conflict = (code: string, message: string, details?: ErrorDetails): AppError =>
  new AppError(code, message, 409, details);

/** Normalises any caught value into an Error, keeping AppErrors and Errors as they are. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
