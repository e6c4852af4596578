import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import { ChangePassword } from "../../../application/use-cases/change-password.use-case.js";
import { RequestPasswordReset } from "../../../application/use-cases/request-password-reset.use-case.js";
import { ResetPassword } from "../../../application/use-cases/reset-password.use-case.js";
import { VerifyResetOtp } from "../../../application/use-cases/verify-reset-otp.use-case.js";
import { InvalidTokenError } from "../../../domain/errors.js";
import { clearSessionCookies, cookiePath } from "../cookies.js";
import { respond } from "../envelope.js";
import { HTTP_SETTINGS } from "../http-tokens.js";
import type { HttpSettings } from "../http-settings.js";
import { authOf } from "../middleware/auth.middleware.js";
import { ChangePasswordBody, EmailBody, ResetPasswordBody, VerifyUserBody } from "../schemas/auth.schemas.js";
import type * as v from "valibot";
import { AUTH_PREFIX } from "../paths.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";
import { requestMeta } from "./auth.controller.js";

export const RESET_COOKIE = "resetToken";
export const RESET_COOKIE_PATH = "/api/v1/auth/reset-password";

@injectable()
export class PasswordController implements HttpModule {
  constructor(
    @inject(RequestPasswordReset) private readonly requestReset: RequestPasswordReset,
    @inject(VerifyResetOtp) private readonly verifyResetOtpUseCase: VerifyResetOtp,
    @inject(ResetPassword) private readonly resetPasswordUseCase: ResetPassword,
    @inject(ChangePassword) private readonly changePasswordUseCase: ChangePassword,
    @inject(HTTP_SETTINGS) private readonly settings: HttpSettings,
  ) {}

  routes(): RouteSpec[] {
    const P = AUTH_PREFIX;
    return [
      route({ method: "post", path: `${P}/forgot-password`, tag: "password", auth: "none", body: EmailBody, handler: this.forgotPassword,
        summary: "Mail a password reset code (always 200, same body and timing)", responses: { 200: "Accepted", 400: "Validation failed", 429: "Too many requests" } }),
      route({ method: "post", path: `${P}/verify-reset-otp`, tag: "password", auth: "none", body: VerifyUserBody, handler: this.verifyResetOtp,
        summary: "Trade the reset code for a single-use reset token (body and httpOnly cookie)",
        responses: { 200: "data.resetToken", 400: "INVALID_CODE", 429: "Too many requests" } }),
      route({ method: "post", path: `${P}/reset-password`, tag: "password", auth: "none", body: ResetPasswordBody, handler: this.resetPassword,
        summary: "Set a new password with the reset token; ends every session",
        responses: { 200: "Password reset", 400: "Validation failed", 401: "INVALID_TOKEN", 429: "Too many requests" } }),
      route({ method: "post", path: `${P}/change-password`, tag: "password", auth: "access", body: ChangePasswordBody, handler: this.changePassword,
        summary: "Change the password; ends every other session",
        responses: { 200: "Changed", 400: "Validation failed", 401: "INVALID_CREDENTIALS (counts toward the lockout)", 429: "TOO_MANY_ATTEMPTS" } }),
    ];
  }

  forgotPassword = async (ctx: Context, body: v.InferOutput<typeof EmailBody>): Promise<void> => {
    await this.requestReset.execute({ email: body.email });
    respond(ctx, 200, "If the address has an account, a reset code has been sent to it");
  };

  verifyResetOtp = async (ctx: Context, body: v.InferOutput<typeof VerifyUserBody>): Promise<void> => {
    const out = await this.verifyResetOtpUseCase.execute({ email: body.email, otpCode: body.otpCode });
    // The token also rides in a cookie that only the reset route ever receives.
    if (this.settings.cookieSecure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.cookies.set(RESET_COOKIE, out.resetToken, {
      httpOnly: true,
      secure: this.settings.cookieSecure,
      sameSite: "strict",
      path: cookiePath(this.settings, RESET_COOKIE_PATH),
      expires: out.expiresAt,
      overwrite: true,
    });
    respond(ctx, 200, "Code accepted; choose a new password", { resetToken: out.resetToken, expiresAt: out.expiresAt.toISOString() });
  };

  resetPassword = async (ctx: Context, body: v.InferOutput<typeof ResetPasswordBody>): Promise<void> => {
    const resetToken = body.resetToken ?? ctx.cookies.get(RESET_COOKIE);
    if (!resetToken) throw new InvalidTokenError("A reset token is required");
    await this.resetPasswordUseCase.execute({ email: body.email, newPassword: body.newPassword, resetToken, meta: requestMeta(ctx) });
    ctx.cookies.set(RESET_COOKIE, "", { httpOnly: true, path: cookiePath(this.settings, RESET_COOKIE_PATH), expires: new Date(0), overwrite: true });
    clearSessionCookies(ctx, this.settings);
    respond(ctx, 200, "Password reset; sign in with the new password");
  };

  changePassword = async (ctx: Context, body: v.InferOutput<typeof ChangePasswordBody>): Promise<void> => {
    const auth = authOf(ctx);
    const out = await this.changePasswordUseCase.execute({
      userId: auth.userId,
      currentSessionId: auth.sessionId,
      oldPassword: body.oldPassword,
      newPassword: body.newPassword,
      meta: requestMeta(ctx),
    });
    respond(ctx, 200, "Password changed; other sessions signed out", { revokedSessions: out.revokedSessions });
  };
}
