import * as v from "valibot";

/** Request schemas: they validate bodies and feed the OpenAPI document. */
const requiredString = (field: string, max: number) =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.nonEmpty(`${field} is required`),
    v.maxLength(max, `${field} must be at most ${max} characters`),
  );

export const email = v.pipe(
  requiredString("email", 254),
  v.trim(),
  v.email("email must be a valid email address"),
);
const password = requiredString("password", 1024);
export const otpCode = v.pipe(v.string("otpCode must be a string"), v.trim(), v.regex(/^[0-9]{6}$/, "otpCode must be 6 digits"));

export const SignUpBody = v.pipe(
  v.object({
    name: v.pipe(requiredString("name", 100), v.trim(), v.nonEmpty("name is required")),
    email,
    password,
    confirmPassword: v.string("confirmPassword must be a string"),
  }),
  v.forward(
    v.partialCheck([["password"], ["confirmPassword"]], (input) => input.password === input.confirmPassword, "Passwords do not match"),
    ["confirmPassword"],
  ),
);

export const VerifyUserBody = v.object({ email, otpCode });
export const EmailBody = v.object({ email });
export const SignInBody = v.object({ email, password });
export const RefreshBody = v.object({ refreshToken: v.optional(v.pipe(v.string(), v.maxLength(512))) });

const newPassword = requiredString("newPassword", 1024);
export const ResetPasswordBody = v.object({
  email,
  newPassword,
  resetToken: v.optional(v.pipe(v.string("resetToken must be a string"), v.maxLength(512))),
});
export const ChangePasswordBody = v.object({ oldPassword: requiredString("oldPassword", 1024), newPassword });
