import pino from "pino";

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "newPassword",
  "*.newPassword",
  "oldPassword",
  "*.oldPassword",
  "confirmPassword",
  "*.confirmPassword",
  "otpCode",
  "*.otpCode",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "resetToken",
  "*.resetToken",
  "authorization",
  "*.authorization",
  "cookie",
  "*.cookie",
  "*.headers.cookie",
  "*.headers.authorization",
  "passwordHash",
  "*.passwordHash",
];

export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    {
      level,
      base: { service: "hybrid-auth" },
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
