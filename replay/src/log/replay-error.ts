// What can go wrong in a replay request, as values: the CLI turns the kind
// into an exit code, an HTTP endpoint into a status.

export type ReplayErrorKind =
  /** Malformed or contradictory arguments (ranges, timestamps, formats). */
  | "BAD_ARGUMENT"
  /** The thing asked about is not in the log (unknown order, pair without events). */
  | "NOT_FOUND"
  /** The instant or sequence asked about lies outside what the log holds. */
  | "OUT_OF_RANGE"
  /** A stored payload the serde cannot read (corruption, unknown schema id). */
  | "UNDECODABLE";

export interface ReplayError {
  readonly kind: ReplayErrorKind;
  readonly message: string;
}

export type ReplayResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ReplayError };

export const replayError = (kind: ReplayErrorKind, message: string): ReplayResult<never> => ({
  ok: false,
  error: { kind, message },
});

/** Thrown out of deep loops (stream readers) and caught at the edge into a ReplayError value. */
export class ReplayFailure extends Error {
  readonly error: ReplayError;
  constructor(error: ReplayError) {
    super(error.message);
    this.error = error;
  }
}
