import type { FieldProblem } from '../common/field-problem.js';

/**
 * How deep a request body may nest (the top-level object or array is level 1). Our bodies are flat
 * objects; the limit only has to stop input deep enough to overflow a recursive library further on
 * (validation, serialisation) — such input is refused before any of them sees it.
 */
export const MAX_JSON_DEPTH = 32;

declare global {
  interface String {
    /** ES2024 (Node ≥ 20); declared here while the project's lib is ES2023. */
    isWellFormed(): boolean;
  }
}

/** Longest key echoed back as a field name; a longer one is named `body`. */
const MAX_FIELD_NAME = 64;

/**
 * A string PostgreSQL (text, jsonb) and UTF-8 can hold: no NUL, no lone UTF-16 surrogate
 * (`"\ud800"` parses in JSON, but has no UTF-8 form and breaks the insert).
 */
export function isStorableString(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}

/**
 * Every problem of a parsed JSON body that must stop it before validation: nesting deeper than
 * MAX_JSON_DEPTH, and keys or strings that cannot be stored, anywhere in the body. Each is named by
 * the top-level key it sits under (`body` for the top level itself); one problem per field. The
 * walk is iterative, so depth costs no stack, and it visits each value once.
 */
export function jsonBodyProblems(body: unknown): FieldProblem[] {
  const problems = new Map<string, string>();
  const stack: { value: unknown; depth: number; field: string }[] = [{ value: body, depth: 1, field: 'body' }];
  const report = (field: string, message: string) => {
    if (!problems.has(field)) problems.set(field, message);
  };
  while (stack.length > 0) {
    const { value, depth, field } = stack.pop()!;
    if (problems.has(field)) continue;
    if (typeof value === 'string') {
      if (!isStorableString(value)) report(field, 'contains a NUL character or a lone UTF-16 surrogate, which cannot be stored');
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      report(field, `is nested more than ${MAX_JSON_DEPTH} levels deep`);
      continue;
    }
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) stack.push({ value: item, depth: depth + 1, field });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const storable = isStorableString(key);
      const itemField = depth === 1 && storable && key.length <= MAX_FIELD_NAME ? key : field;
      if (!storable) report(itemField, 'has a key with a NUL character or a lone UTF-16 surrogate, which cannot be stored');
      stack.push({ value: item, depth: depth + 1, field: itemField });
    }
  }
  return [...problems].map(([field, message]) => ({ field, message }));
}

/**
 * A key no DTO accepts, put into a body whose problems were taken out (see withoutProblems), so that
 * validation refuses it whatever else it finds; the exception filter then drops it from the answer.
 */
export const REFUSED_MARKER = ' unstorable-body';

/**
 * The body with each problem taken out, so nothing unstorable or too deep goes further: offending
 * top-level values become null, keys that cannot be stored are dropped, a non-object body becomes
 * null, and REFUSED_MARKER is added. Validation then names every other bad field as usual, and the
 * exception filter puts these problems in its place (mergeBodyProblems).
 */
export function withoutProblems(body: unknown, problems: FieldProblem[]): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const fields = new Set(problems.map((problem) => problem.field));
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!isStorableString(key)) continue;
    // defineProperty: a key such as "__proto__" stays an own data property, as JSON.parse made it.
    Object.defineProperty(kept, key, { value: fields.has(key) ? null : value, enumerable: true, writable: true, configurable: true });
  }
  kept[REFUSED_MARKER] = true;
  return kept;
}

/** Validation's problems with the body problems in place of what validation said about the same fields (and without the marker). */
export function mergeBodyProblems(bodyProblems: FieldProblem[], validation: FieldProblem[]): FieldProblem[] {
  const named = new Set(bodyProblems.map((problem) => problem.field));
  return [...bodyProblems, ...validation.filter((problem) => problem.field !== REFUSED_MARKER && !named.has(problem.field))];
}
