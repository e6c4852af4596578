import type { MailMessage } from "./ports/mailer.port.js";

/** Plain-text mails. Codes and tokens appear only in mail bodies, never in logs. */
export const mails = {
  verifyEmail(to: string, appName: string, code: string): MailMessage {
    return {
      to,
      tag: "verify-email",
      subject: `${appName}: your verification code`,
      text: `Your verification code is ${code}.\nIt is valid for 10 minutes. If you did not sign up, ignore this mail.`,
    };
  },
  signupNotice(to: string, appName: string): MailMessage {
    return {
      to,
      tag: "signup-notice",
      subject: `${appName}: someone tried to sign up with your address`,
      text:
        "Someone tried to create an account with this email address, which already has one.\n" +
        "If it was you, sign in or reset your password. Otherwise you can ignore this mail.",
    };
  },
  refreshTokenReuse(to: string, appName: string): MailMessage {
    return {
      to,
      tag: "session-reuse",
      subject: `${appName}: a session was ended for your safety`,
      text:
        "An old sign-in token for your account was used again, which can mean it was stolen.\n" +
        "We ended that session. If this was not you, change your password.",
    };
  },
};
