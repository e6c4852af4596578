import { Writable } from "node:stream";
import { expect } from "chai";
import { DrizzleQueryError } from "drizzle-orm";
import { FastPasswordHasher } from "../../src/adapters/security/fast-password.hasher.js";
import { createLogger } from "../../src/infrastructure/logger.js";
import { PASSWORD, codeFor, cookiesOf, uniqueEmail, useTestApp, type Backend } from "../support/http-harness.js";

const A = "/api/v1/auth";
const EXPLODE = "explode-with-a-500";

/** Every log line, parsed; the raw text too, to search for secrets wherever they might hide. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    done();
  }
  get entries(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  get text(): string {
    return this.lines.join("\n");
  }
}

/** A hasher that fails like a bug would (a plain Error, so a 500) for one password. */
class ExplodingHasher extends FastPasswordHasher {
  override async verifyDummy(password: string): Promise<void> {
    if (password.startsWith(EXPLODE)) throw new Error("hasher blew up");
    return super.verifyDummy(password);
  }
}

for (const backend of ["memory", "real"] as Backend[]) {
  describe(`Request logs on ${backend === "memory" ? "the in-memory container" : "PostgreSQL + Redis"}`, () => {
    const capture = new LogCapture();
    const app = useTestApp(backend, { logger: createLogger("trace", capture), passwordHasher: new ExplodingHasher() });

    it("a full sign-up → verify → sign-in → refresh → logout → reset → delete flow leaves no secret in the logs, one line per request", async () => {
      const secrets: string[] = [];
      const keep = (...values: Array<string | undefined>) => {
        for (const value of values) {
          expect(value, "a secret to look for").to.be.a("string").and.not.empty;
          secrets.push(value!);
        }
      };
      const email = uniqueEmail("logs");
      const requestIds: string[] = [];
      const track = <T extends { headers: Record<string, string> }>(res: T): T => {
        requestIds.push(res.headers["x-request-id"]!);
        return res;
      };

      track(await app.request.post(`${A}/signup`).send({ name: "Log", email, password: PASSWORD, confirmPassword: PASSWORD }).expect(201));
      keep(PASSWORD);
      const otpCode = await codeFor(app.mailer, email);
      keep(otpCode);
      track(await app.request.post(`${A}/verify-user`).send({ email, otpCode }).expect(200));

      // Browser sign-in: cookies.
      const browser = await app.request.post(`${A}/signin`).send({ email, password: PASSWORD }).expect(200);
      track(browser);
      const cookies = cookiesOf(browser);
      keep(cookies.accessToken?.value, cookies.refreshToken?.value);
      const cookieHeader = `accessToken=${cookies.accessToken!.value}; refreshToken=${cookies.refreshToken!.value}`;
      track(await app.request.get(`${A}/profile`).set("Cookie", cookieHeader).expect(200));
      const rotated = track(await app.request.post(`${A}/refresh-token`).set("Cookie", cookieHeader).send({}).expect(200));
      const rotatedCookies = cookiesOf(rotated);
      keep(rotatedCookies.accessToken?.value, rotatedCookies.refreshToken?.value);

      // Token-mode sign-in: bearer and a refresh token in the body.
      const tokenMode = track(await app.request.post(`${A}/signin`).set("X-Auth-Mode", "token").send({ email, password: PASSWORD }).expect(200));
      const { accessToken, refreshToken } = tokenMode.body.data.tokens as { accessToken: string; refreshToken: string };
      keep(accessToken, refreshToken);
      track(await app.request.get(`${A}/sessions`).set("Authorization", `Bearer ${accessToken}`).expect(200));
      const refreshed = track(await app.request.post(`${A}/refresh-token`).set("X-Auth-Mode", "token").send({ refreshToken }).expect(200));
      keep(refreshed.body.data.tokens.accessToken, refreshed.body.data.tokens.refreshToken);
      // A refresh token in the query string (a client mistake) is redacted too.
      track(await app.request.post(`${A}/logout?refreshToken=${refreshed.body.data.tokens.refreshToken}`).set("Authorization", `Bearer ${refreshed.body.data.tokens.accessToken}`).send({}).expect(200));

      // Password reset.
      track(await app.request.post(`${A}/forgot-password`).send({ email }).expect(200));
      const resetCode = await codeFor(app.mailer, email, "reset-password");
      keep(resetCode);
      const verified = track(await app.request.post(`${A}/verify-reset-otp`).send({ email, otpCode: resetCode }).expect(200));
      keep(verified.body.data.resetToken);
      const newPassword = "a brand new passphrase 42";
      keep(newPassword);
      track(await app.request.post(`${A}/reset-password`).send({ email, newPassword, resetToken: verified.body.data.resetToken }).expect(200));

      // Failures: wrong password (401), wrong code (400), bad bearer (401).
      const wrongPassword = "not the password at all";
      keep(wrongPassword);
      track(await app.request.post(`${A}/signin`).send({ email, password: wrongPassword }).expect(401));
      track(await app.request.get(`${A}/profile`).set("Authorization", "Bearer not.a.jwt-secret-looking-value").expect(401));
      keep("not.a.jwt-secret-looking-value");

      // Account deletion with the token in ?token= (old clients).
      const session = track(await app.request.post(`${A}/signin`).set("X-Auth-Mode", "token").send({ email, password: newPassword }).expect(200));
      const bearer = session.body.data.tokens.accessToken as string;
      keep(bearer, session.body.data.tokens.refreshToken);
      if (app.ctx.app.routeSpecs.some((s) => s.path === `${A}/account/delete`)) {
        track(await app.request.post(`${A}/account/request-delete`).set("Authorization", `Bearer ${bearer}`).send({ password: newPassword }).expect(200));
        let link = "";
        for (let i = 0; i < 100 && !link; i++) {
          link = app.mailer.last(email, "account-delete")?.text ?? "";
          if (!link) await new Promise((r) => setTimeout(r, 10));
        }
        const deletionToken = decodeURIComponent(/token=([^&\s]+)/.exec(link)?.[1] ?? "");
        keep(deletionToken);
        track(await app.request.delete(`${A}/account/delete?token=${encodeURIComponent(deletionToken)}`).set("Authorization", `Bearer ${bearer}`).send({ type: "soft" }).expect(200));
      }

      const text = capture.text;
      for (const secret of secrets) {
        expect(text, `a secret (${secret.slice(0, 6)}…) in the logs`).to.not.include(secret);
        // JWT signatures and long tokens: no recognisable tail either.
        if (secret.length > 24) expect(text).to.not.include(secret.slice(-16));
      }
      expect(text).to.not.match(/\b\d{6}\b.*otp|Bearer /i);

      // One request line per request, with id, method, route, status and duration.
      const requestLines = capture.entries.filter((e) => e.msg === "request" || e.msg === "request failed");
      for (const id of requestIds) {
        const lines = requestLines.filter((e) => e.requestId === id);
        expect(lines, `log lines for request ${id}`).to.have.length(1);
        expect(lines[0]).to.include.keys("method", "url", "route", "status", "durationMs");
        expect(lines[0]!.route).to.be.a("string");
      }
      const deleteLine = requestLines.find((e) => String(e.url).includes("/account/delete"));
      if (deleteLine) expect(deleteLine.url).to.match(/\?token=\[REDACTED\]$/);
      // No stack anywhere: nothing here was a 500.
      expect(text).to.not.include('"stack"');
    });

    it("a 500 is logged once with its stack and the request id; the response says nothing of it", async () => {
      const before = capture.lines.length;
      const password = `${EXPLODE}-secret-${Date.now()}`;
      const res = await app.request.post(`${A}/signin`).send({ email: uniqueEmail("nobody"), password });
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ success: false, message: "Internal server error", statusCode: 500, code: "INTERNAL_ERROR" });
      const entries = capture.entries.slice(before);
      const withStack = entries.filter((e) => typeof (e.err as { stack?: unknown } | undefined)?.stack === "string");
      expect(withStack).to.have.length(1);
      expect(withStack[0]).to.include({ requestId: res.headers["x-request-id"] });
      expect((withStack[0]!.err as { stack: string }).stack).to.include("hasher blew up");
      expect(capture.lines.slice(before).join("\n")).to.not.include(password);
      const line = entries.find((e) => e.msg === "request failed");
      expect(line).to.include({ status: 500, requestId: res.headers["x-request-id"] });
    });
  });
}

describe("Logger redaction", () => {
  it("a database error's bound parameters never reach the log", () => {
    const capture = new LogCapture();
    const logger = createLogger("info", capture);
    const hash = "$2b$12$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ";
    logger.error({ err: new DrizzleQueryError('insert into "users" values ($1, $2)', ["ada@example.test", hash], new Error("deadlock detected")) }, "unhandled error");
    expect(capture.text).to.include("insert into");
    expect(capture.text).to.not.include(hash);
    expect(capture.text).to.not.include("ada@example.test");
  });

  it("secret keys are redacted at any depth up to four levels, headers included", () => {
    const capture = new LogCapture();
    createLogger("info", capture).info(
      {
        password: "p1-secret",
        body: { newPassword: "p2-secret", tokens: { accessToken: "t1-secret" } },
        err: { config: { headers: { authorization: "Bearer t2-secret", cookie: "sid=t3-secret" } } },
        res: { headers: { "set-cookie": ["refreshToken=t4-secret"] } },
        otpCode: "123456",
      },
      "x",
    );
    expect(capture.text).to.not.match(/secret|123456/);
  });
});
