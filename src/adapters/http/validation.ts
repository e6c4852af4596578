import * as v from "valibot";
import { ValidationError } from "../../domain/errors.js";

/**
 * Parses a request body with a valibot schema; failures become one ValidationError naming
 * every field (a non-object body is reported under "body").
 */
export function parseInput<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input ?? {});
  if (result.success) return result.output;
  const errors: Record<string, string[]> = {};
  for (const issue of result.issues) {
    const path = v.getDotPath(issue) ?? "body";
    (errors[path] ??= []).push(issue.message);
  }
  throw new ValidationError(errors);
}
