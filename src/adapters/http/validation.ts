import * as v from "valibot";
import { ValidationError } from "../../domain/errors.js";

/**
 * Parses a request body with a valibot schema; failures become one ValidationError naming
 * every field (a non-object body is reported under "body").
 */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input ?? {});
  if (result.success) {
    // PostgreSQL text cannot hold U+0000 (the insert fails), and no field of this API has a use for it.
    const field = fieldWithNul(result.output);
    if (field !== null) throw ValidationError.field(field, "Must not contain the NUL character");
    return result.output;
  }
  // A Map, not an object literal: a client-chosen key such as "toString" or "__proto__" would
  // otherwise hit Object.prototype (a 500, or worse).
  const errors = new Map<string, string[]>();
  for (const issue of result.issues) {
    const path = v.getDotPath(issue) ?? "body";
    errors.set(path, [...(errors.get(path) ?? []), issue.message]);
  }
  throw new ValidationError(Object.fromEntries(errors));
}

/** Dot path of the first string holding U+0000 in a parsed body, or null. Iterative: bodies may nest deeply. */
function fieldWithNul(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path || "body";
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) stack.push([child, path ? `${path}.${k}` : k]);
    }
  }
  return null;
}
