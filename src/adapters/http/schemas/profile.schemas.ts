import * as v from "valibot";
import { NAME_MAX_LENGTH } from "../../../domain/user.entity.js";

const name = v.pipe(
  v.string("name must be a string"),
  v.trim(),
  v.nonEmpty("name must not be empty"),
  v.maxLength(NAME_MAX_LENGTH, `name must be at most ${NAME_MAX_LENGTH} characters`),
);

/**
 * JSON form of PATCH /profile. Strict: a field this route does not change (email, avatar as a
 * URL) is refused rather than silently ignored, so a client never believes it changed something.
 */
export const UpdateProfileBody = v.strictObject({ name }, (issue) => objectMessage(issue, "Only name can be sent as JSON; send an avatar as multipart/form-data"));

/** The text fields of the multipart form (the file is read separately). */
export const UpdateProfileFields = v.strictObject({ name: v.optional(name) }, (issue) => objectMessage(issue, "Unknown field; accepted: name, avatar"));

function objectMessage(issue: v.BaseIssue<unknown>, unknownKey: string): string {
  if (issue.expected === "never") return unknownKey;
  if (issue.received === "undefined") return "Required";
  return "Send an object";
}
