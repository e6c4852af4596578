import pino from "pino";

/** Keys whose values never reach a log line, wherever (up to four levels deep) they appear. */
const SECRET_KEYS = [
  "password",
  "newPassword",
  "oldPassword",
  "confirmPassword",
  "passwordHash",
  "otp",
  "otpCode",
  "token",
  "tokens",
  "accessToken",
  "refreshToken",
  "resetToken",
  "deletionToken",
  "access_token",
  "refresh_token",
  "id_token",
  "code_verifier",
  "codeVerifier",
  "client_secret",
  "clientSecret",
  "apiSecret",
  "api_secret",
  "secret",
  "secrets",
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
];

const segment = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);
const join = (prefix: string, key: string) => (prefix ? `${prefix}${segment(key).startsWith("[") ? "" : "."}${segment(key)}` : segment(key));

export const REDACTED_PATHS = ["", "*", "*.*", "*.*.*"].flatMap((prefix) => SECRET_KEYS.map((key) => join(prefix, key)));

/**
 * DrizzleQueryError puts the bound parameters (password hashes, token hashes, emails) in its
 * message and in `params`; a 500 logged with such an error must not copy them into the logs.
 */
const PARAMS_LINE = /\nparams: [\s\S]*?(?=\n {4}at |\ncaused by: |$)/g;

export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (!out || typeof out !== "object") return out;
  delete out.params;
  for (const key of ["message", "stack"]) if (typeof out[key] === "string") out[key] = (out[key] as string).replace(PARAMS_LINE, "\nparams: [REDACTED]");
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { service: "hybrid-auth" },
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      serializers: { err: serializeError },
    },
    destination,
  );
}
