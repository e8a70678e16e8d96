// Errors a person reads: each names the field or thing, the problem, and where possible the fix.

export interface FieldProblem {
  field: string;
  problem: string;
}

/** Bad input (an unknown id inside a body counts): HTTP 400. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly details: FieldProblem[]) {
    super(details.map((d) => `${d.field}: ${d.problem}`).join('; '));
  }
  static field(field: string, problem: string) {
    return new InputError([{ field, problem }]);
  }
}

/** An unknown id in the path: HTTP 404. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(what: string, id: string) {
    super(`no ${what} with id '${id}'`);
  }
}

/** A state change the rules do not allow: HTTP 409. */
export class StateConflictError extends Error {
  override name = 'StateConflictError';
  constructor(
    message: string,
    /** Shown as the answer's `details` (e.g. `{existingId}` of the row the request clashes with). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
