import * as v from "valibot";

/** Request schemas of the account lifecycle routes (validation and the OpenAPI document). */
export const RequestDeleteBody = v.object({
  password: v.pipe(v.string("password must be a string"), v.nonEmpty("password is required"), v.maxLength(1024, "password must be at most 1024 characters")),
});

export const deletionType = v.picklist(["soft", "hard"], 'type must be "soft" or "hard"');

/** The token may instead come as ?token= (old clients); the handler requires one of the two. */
export const DeleteAccountBody = v.object({
  token: v.optional(v.pipe(v.string("token must be a string"), v.maxLength(512, "token must be at most 512 characters"))),
  type: v.optional(deletionType, "soft"),
});
