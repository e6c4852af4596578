import * as v from "valibot";

/** The one-time code a token-mode client got in the redirect after an OAuth sign-in. */
export const OAuthCodeBody = v.object({
  code: v.pipe(v.string("code must be a string"), v.trim(), v.nonEmpty("code is required"), v.maxLength(200, "code must be at most 200 characters")),
});
