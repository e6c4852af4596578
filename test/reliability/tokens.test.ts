/**
 * 1. Tokens: refresh reuse kills the session, parallel refreshes leave one chain, forged and
 * stale JWTs are refused, revoked and deleted accounts' tokens die, and a session id planted
 * before sign-in is never adopted.
 */
import { generateKeyPairSync } from "node:crypto";
import { expect } from "chai";
import jwt from "jsonwebtoken";
import { requirePostgres, requireRedis } from "../support/services.js";
import { AUTH, fromIp, PASSWORD, profileStatus, seedUsers, signIn, startApp, type RunningApp, type Tokens } from "./support/app.js";
import { bearer, type HttpResponse } from "./support/http.js";
import { note } from "./support/summary.js";

describe("Tokens", function () {
  let app: RunningApp;

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    app = await startApp({ manualClock: true });
  });

  after(async () => {
    await app?.close();
  });

  const graceMs = () => (app.ctx.config.refreshReuseGraceSeconds + 1) * 1000;

  async function refresh(token: string): Promise<HttpResponse> {
    return app.client.post(`${AUTH}/refresh-token`, { refreshToken: token }, { headers: { "x-auth-mode": "token", ...fromIp() } });
  }

  async function freshSession(): Promise<Tokens & { email: string }> {
    const [user] = await seedUsers(app.ctx, 1);
    return { ...(await signIn(app.client, user!.email)), email: user!.email };
  }

  it("refresh reuse: A→B→C, then A after the grace window → 401 and C is dead too", async function () {
    const s = await freshSession();
    const b = await refresh(s.refreshToken);
    expect(b.status, b.text).to.equal(200);
    const B = b.body.data.tokens.refreshToken as string;
    app.manualClock!.advance(graceMs());
    const c = await refresh(B);
    expect(c.status, c.text).to.equal(200);
    const C = c.body.data.tokens.refreshToken as string;
    const accessC = c.body.data.tokens.accessToken as string;
    expect(new Set([s.refreshToken, B, C]).size).to.equal(3);
    expect(await profileStatus(app.client, accessC)).to.equal(200);

    app.manualClock!.advance(graceMs());
    const replay = await refresh(s.refreshToken);
    expect(replay.status, replay.text).to.equal(401);
    expect(replay.body.code).to.equal("SESSION_REVOKED");

    const afterTheft = await refresh(C);
    expect(afterTheft.status, afterTheft.text).to.equal(401);
    expect(await profileStatus(app.client, accessC)).to.equal(401);
    const deadline = Date.now() + 2_000;
    while (!app.mailer.sent.some((m) => m.to === s.email && m.tag === "session-reuse") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(app.mailer.sent.filter((m) => m.to === s.email).map((m) => m.tag)).to.include("session-reuse");
  });

  it("20 parallel refreshes with one token: no 500, one surviving chain", async function () {
    const s = await freshSession();
    const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(s.refreshToken)));
    const statuses = answers.map((r) => r.status);
    note(this, `statuses: ${[...new Set(statuses)].map((st) => `${st}×${statuses.filter((x) => x === st).length}`).join(", ")}`);
    expect(statuses.filter((st) => st >= 500)).to.deep.equal([]);
    const successors = new Set(answers.filter((r) => r.status === 200).map((r) => r.body.data.tokens.refreshToken as string));
    expect(successors.size, "every winner got the same successor").to.equal(1);
    const [B] = [...successors] as [string];

    // The chain continues from that one successor, and the session is still a single session.
    app.manualClock!.advance(graceMs());
    const next = await refresh(B);
    expect(next.status, next.text).to.equal(200);
    const access = next.body.data.tokens.accessToken as string;
    const sessions = await app.client.get(`${AUTH}/sessions`, { headers: bearer(access) });
    expect(sessions.status).to.equal(200);
    expect(sessions.body.data.sessions).to.have.length(1);
    // The original token is now a replay: it ends the whole chain.
    expect((await refresh(s.refreshToken)).status).to.equal(401);
    expect(await profileStatus(app.client, access)).to.equal(401);
  });

  describe("JWT attacks all answer 401", function () {
    let s: Tokens & { email: string };
    let claims: Record<string, unknown>;
    let secret: string;

    before(async function () {
      s = await freshSession();
      claims = jwt.decode(s.accessToken) as Record<string, unknown>;
      secret = app.ctx.config.secrets.jwtAccess;
    });

    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const nowS = () => Math.floor(app.clock.now().getTime() / 1000);
    const sign = (payload: object, alg: jwt.Algorithm = "HS256", key: string | Buffer = secret) =>
      jwt.sign(payload, key, { algorithm: alg, noTimestamp: true });

    const forged: Record<string, () => string> = {
      "alg none": () => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`,
      "alg None (case)": () => `${b64({ alg: "None", typ: "JWT" })}.${b64(claims)}.`,
      "HS512 with the real secret": () => sign(claims, "HS512"),
      "HS384 with the real secret": () => sign(claims, "HS384"),
      "RS256 with an attacker key": () => {
        const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
        return sign(claims, "RS256", privateKey.export({ type: "pkcs8", format: "pem" }) as string);
      },
      "ES256 with an attacker key": () => {
        const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
        return sign(claims, "ES256", privateKey.export({ type: "pkcs8", format: "pem" }) as string);
      },
      "HS256 with a guessed secret": () => sign(claims, "HS256", "secret"),
      "bit-flipped signature": () => {
        const [h, p, sig] = s.accessToken.split(".") as [string, string, string];
        const bytes = Buffer.from(sig, "base64url");
        const i = bytes.length >> 1;
        bytes.writeUInt8(bytes.readUInt8(i) ^ 0x01, i);
        return `${h}.${p}.${bytes.toString("base64url")}`;
      },
      "payload edited, signature kept": () => {
        const [h, , sig] = s.accessToken.split(".") as [string, string, string];
        return `${h}.${b64({ ...claims, role: "admin" })}.${sig}`;
      },
      expired: () => sign({ ...claims, iat: nowS() - 3600, exp: nowS() - 1 }),
      "nbf in the future": () => sign({ ...claims, iat: nowS(), nbf: nowS() + 3600 }),
      "no exp": () => {
        const { exp: _exp, ...rest } = claims;
        return sign(rest);
      },
      "wrong iss": () => sign({ ...claims, iss: "someone-else" }),
      "wrong aud": () => sign({ ...claims, aud: "another-api" }),
      "typ refresh": () => sign({ ...claims, typ: "refresh" }),
      "unknown session id": () => sign({ ...claims, sid: "00000000-0000-4000-8000-000000000000" }),
      "someone else's sub on this session": () => sign({ ...claims, sub: "00000000-0000-4000-8000-000000000001" }),
      "refresh token used as access token": () => s.refreshToken,
      "empty token": () => "",
      "garbage": () => "a.b.c",
      "oversized": () => `${s.accessToken}${"A".repeat(10_000)}`,
    };

    it("forged, tampered, stale and misused tokens, by bearer and by cookie", async function () {
      // The untouched token works: every refusal below is about the one thing changed.
      expect(await profileStatus(app.client, s.accessToken)).to.equal(200);
      let tried = 0;
      for (const [name, make] of Object.entries(forged)) {
        const token = make();
        for (const via of ["bearer", "cookie"] as const) {
          const res =
            via === "bearer"
              ? await app.client.get(`${AUTH}/profile`, { headers: bearer(token) })
              : await app.client.get(`${AUTH}/profile`, { cookies: { accessToken: token } });
          tried++;
          expect(res.status, `${name} via ${via}: ${res.text}`).to.equal(401);
          expect(res.body?.success, name).to.equal(false);
          expect(res.text).to.not.match(/\bat .+:\d+:\d+|jsonwebtoken|invalid signature/i);
        }
      }
      note(this, `${Object.keys(forged).length} forgeries × 2 transports = ${tried} refusals`);
      expect(await profileStatus(app.client, s.accessToken)).to.equal(200);
    });

    it("a valid token whose session was revoked (logout, revoke one, revoke others)", async function () {
      const user = (await seedUsers(app.ctx, 1))[0]!;
      const a = await signIn(app.client, user.email);
      const b = await signIn(app.client, user.email);
      const c = await signIn(app.client, user.email);
      expect((await app.client.post(`${AUTH}/logout`, {}, { headers: bearer(a.accessToken) })).status).to.equal(200);
      expect(await profileStatus(app.client, a.accessToken)).to.equal(401);
      expect((await app.client.delete(`${AUTH}/sessions/${b.sessionId}`, { headers: bearer(c.accessToken) })).status).to.equal(200);
      expect(await profileStatus(app.client, b.accessToken)).to.equal(401);
      const d = await signIn(app.client, user.email);
      expect((await app.client.delete(`${AUTH}/sessions`, { headers: bearer(c.accessToken) })).status).to.equal(200);
      expect(await profileStatus(app.client, d.accessToken)).to.equal(401);
      expect(await profileStatus(app.client, c.accessToken)).to.equal(200);
      // Revoked sessions cannot be refreshed back to life either.
      for (const t of [a, b, d]) expect((await refresh(t.refreshToken)).status).to.equal(401);
    });

    it("a token of a deleted user (hard delete through the API)", async function () {
      const deleteRoute = app.ctx.app.routeSpecs.find((r) => r.method === "delete" && r.path === `${AUTH}/account/delete`);
      const requestRoute = app.ctx.app.routeSpecs.find((r) => r.method === "post" && r.path === `${AUTH}/account/request-delete`);
      const user = (await seedUsers(app.ctx, 1))[0]!;
      const t = await signIn(app.client, user.email);
      const other = await signIn(app.client, user.email);
      if (deleteRoute && requestRoute) {
        const req = await app.client.post(`${AUTH}/account/request-delete`, { password: PASSWORD }, { headers: bearer(t.accessToken) });
        expect(req.status, req.text).to.equal(200);
        let link: string | undefined;
        const deadline = Date.now() + 3_000;
        while (!link && Date.now() < deadline) {
          link = app.mailer.last(user.email, "account-delete")?.text.match(/token=([A-Za-z0-9_-]+)/)?.[1];
          if (!link) await new Promise((r) => setTimeout(r, 20));
        }
        expect(link, "deletion mail with a token").to.be.a("string");
        const del = await app.client.request("DELETE", `${AUTH}/account/delete`, { json: { token: link, type: "hard" }, headers: bearer(t.accessToken) });
        expect(del.status, del.text).to.equal(200);
        note(this, "deleted through POST /account/request-delete + DELETE /account/delete (hard)");
      } else {
        expect(await app.ctx.users.delete(user.id)).to.equal(true);
        await app.ctx.sessions.revokeAllForUser(user.id);
        note(this, "no hard-delete route yet: row deleted through ctx.users");
      }
      expect(await app.ctx.users.findById(user.id)).to.equal(null);
      for (const tok of [t, other]) {
        for (const r of app.ctx.app.routeSpecs.filter((spec) => spec.auth === "access" && spec.method === "get")) {
          const res = await app.client.get(r.path.replace(/:(\w+)/g, "00000000-0000-4000-8000-000000000000"), { headers: bearer(tok.accessToken) });
          expect(res.status, `${r.method} ${r.path}: ${res.text}`).to.equal(401);
        }
        expect((await refresh(tok.refreshToken)).status).to.equal(401);
      }
      const again = await app.client.post(`${AUTH}/signin`, { email: user.email, password: PASSWORD }, { headers: fromIp() });
      expect(again.status).to.equal(401);
    });
  });

  it("session fixation: cookies planted before sign-in are never adopted", async function () {
    const [attacker, victim] = await seedUsers(app.ctx, 2);
    const login = (cookies: Record<string, string>, email: string) =>
      app.client.post(`${AUTH}/signin`, { email, password: PASSWORD }, { headers: fromIp(), cookies });

    // The attacker's own, valid session, planted in the victim's browser; and a made-up id.
    const own = await login({}, attacker!.email);
    expect(own.status).to.equal(200);
    const planted: Array<Record<string, string> & { sid: string }> = [
      { sid: own.cookies.sid!, accessToken: own.cookies.accessToken!, refreshToken: own.cookies.refreshToken! },
      { sid: "11111111-2222-4333-8444-555555555555" },
      { sid: "fixated-session", accessToken: "fixated" },
    ];
    for (const cookies of planted) {
      const res = await login(cookies, victim!.email);
      expect(res.status, res.text).to.equal(200);
      const sid = res.cookies.sid!;
      expect(sid, "a fresh session id").to.be.a("string").and.not.equal(cookies.sid);
      const issued = jwt.decode(res.cookies.accessToken!) as Record<string, unknown>;
      expect(issued.sid).to.equal(sid);
      expect(issued.sub).to.equal(victim!.id);
      expect(await app.ctx.sessions.get(cookies.sid)).to.satisfy((x: unknown) => x === null || (x as { userId: string }).userId === attacker!.id);
      // The victim's cookies open the victim's account ...
      const mine = await app.client.get(`${AUTH}/profile`, { cookies: { accessToken: res.cookies.accessToken! } });
      expect(mine.body.data.user.email).to.equal(victim!.email);
    }
    // ... and the attacker's planted session still belongs to the attacker alone.
    const theirs = await app.client.get(`${AUTH}/profile`, { cookies: { accessToken: own.cookies.accessToken! } });
    expect(theirs.status).to.equal(200);
    expect(theirs.body.data.user.email).to.equal(attacker!.email);
    const rotated = await app.client.post(`${AUTH}/refresh-token`, {}, { cookies: { refreshToken: own.cookies.refreshToken! }, headers: fromIp() });
    expect(rotated.status).to.equal(200);
    expect(rotated.body.data.user.email).to.equal(attacker!.email);
  });
});
