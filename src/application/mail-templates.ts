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
  resetCode(to: string, appName: string, code: string): MailMessage {
    return {
      to,
      tag: "reset-password",
      subject: `${appName}: your password reset code`,
      text: `Your password reset code is ${code}.\nIt is valid for 10 minutes. If you did not ask to reset your password, ignore this mail.`,
    };
  },
  passwordChanged(to: string, appName: string): MailMessage {
    return {
      to,
      tag: "password-changed",
      subject: `${appName}: your password was changed`,
      text:
        "The password of your account was just changed and your other sessions were signed out.\n" +
        "If this was not you, reset your password at once.",
    };
  },
  accountLocked(to: string, appName: string, minutes: number): MailMessage {
    return {
      to,
      tag: "account-locked",
      subject: `${appName}: sign-in paused after failed attempts`,
      text:
        `Password sign-in to your account is paused for ${minutes} minutes after repeated failed attempts.\n` +
        "If this was not you, someone may be guessing your password; resetting it lifts the pause.",
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
  deletionRequested(to: string, appName: string, link: string, minutes: number): MailMessage {
    return {
      to,
      tag: "account-delete",
      subject: `${appName}: confirm the deletion of your account`,
      text:
        `Deleting your account was requested with your password. To confirm, open this link within ${minutes} minutes:\n${link}\n` +
        "The link works once. If you did not ask for this, ignore this mail and change your password.",
    };
  },
  accountDeactivated(to: string, appName: string, purgeAfter: Date): MailMessage {
    return {
      to,
      tag: "account-deactivated",
      subject: `${appName}: your account is deactivated`,
      text:
        "Your account was deactivated and every session signed out.\n" +
        `It will be erased for good on ${purgeAfter.toISOString()}. Until then you can sign in and reactivate it.`,
    };
  },
  accountReactivated(to: string, appName: string): MailMessage {
    return {
      to,
      tag: "account-reactivated",
      subject: `${appName}: your account is active again`,
      text: "Your account was reactivated. If this was not you, change your password at once.",
    };
  },
  accountDeleted(to: string, appName: string): MailMessage {
    return {
      to,
      tag: "account-deleted",
      subject: `${appName}: your account was deleted`,
      text: "Your account and its data were erased, as you asked. This address can be used to sign up again.",
    };
  },
};
