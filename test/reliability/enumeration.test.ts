/**
 * 3. Enumeration: for sign-up, sign-in, resend-verification and forgot-password a registered
 * and an unregistered email get the same status and body, and the medians of 100 timed calls
 * each differ by less than 20%. Real bcrypt at a reduced cost (the cost only scales the part
 * both paths share); calls are sequential, interleaved and alternated (ABBA) after a warm-up so
 * drift and JIT warm-up land on both sides equally. The server is its own process, as an
 * attacker sees it: work it does after answering must not be billed to the answer.
 */
import { expect } from "chai";
import type { User } from "../../src/domain/user.entity.js";
import { requirePostgres, requireRedis, TEST_DATABASE_URL, TEST_REDIS_URL } from "../support/services.js";
import { AUTH, fromIp, PASSWORD, seedUsers, startApp, uniqueEmail, type RunningApp } from "./support/app.js";
import type { HttpResponse } from "./support/http.js";
import { startServer, type ServerProcess } from "./support/processes.js";
import { note } from "./support/summary.js";

const SAMPLES = 100;
const WARMUP = 15;
const MAX_RELATIVE_DIFFERENCE = 0.2;
/** Real bcrypt, cheap enough for 4 × 230 calls on two cores; override with REL_BCRYPT_COST. */
const BCRYPT_COST = process.env.REL_BCRYPT_COST ?? "9";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Status and body with the echoed address replaced, so two addresses can be compared. */
function shape(res: HttpResponse, email: string): string {
  const cookies = res.headers["set-cookie"] ? "set-cookie" : "no-cookie";
  return `${res.status} ${cookies} ${res.text.split(email).join("<email>")}`;
}

describe("Enumeration", function () {
  let server: ServerProcess;
  /** Writes the registered accounts, with hashes of the server's cost. */
  let seeder: RunningApp;

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    [server, seeder] = await Promise.all([
      startServer({ DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, BCRYPT_COST }),
      startApp({ env: { BCRYPT_COST } }),
    ]);
  });

  after(async () => {
    await server?.kill();
    await seeder?.close();
  });

  /**
   * Runs WARMUP + SAMPLES pairs of (known, unknown) calls, alternating which goes first, and
   * checks shapes and medians. `known(i)` / `unknown(i)` return the email used for call i.
   */
  async function compare(
    ctx: Mocha.Context,
    label: string,
    known: User[],
    send: (email: string) => Promise<HttpResponse>,
  ): Promise<void> {
    const shapes = { known: new Set<string>(), unknown: new Set<string>() };
    const times = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const knownEmail = known[i % known.length]!.email;
      const unknownEmail = uniqueEmail("seed");
      const order = i % 2 === 0 ? (["known", "unknown"] as const) : (["unknown", "known"] as const);
      for (const side of order) {
        const email = side === "known" ? knownEmail : unknownEmail;
        const res = await send(email);
        shapes[side].add(shape(res, email));
        if (i >= WARMUP) times[side].push(res.ms);
      }
    }
    const mk = median(times.known);
    const mu = median(times.unknown);
    const diff = Math.max(mk, mu) / Math.min(mk, mu) - 1;
    note(ctx, `${label}: median known ${mk.toFixed(2)} ms, unknown ${mu.toFixed(2)} ms, difference ${Math.abs(mk - mu).toFixed(2)} ms = ${(diff * 100).toFixed(1)}% (bcrypt cost ${BCRYPT_COST})`);
    expect([...shapes.known], "one answer for every known email").to.have.length(1);
    expect([...shapes.unknown], "one answer for every unknown email").to.have.length(1);
    expect([...shapes.known][0]).to.equal([...shapes.unknown][0]);
    expect(diff, `${label} medians differ by ${(diff * 100).toFixed(1)}%`).to.be.below(MAX_RELATIVE_DIFFERENCE);
  }

  it("sign-up: registered (verified) vs new address", async function () {
    const known = await seedUsers(seeder.ctx, WARMUP + SAMPLES, { label: "seed" });
    await compare(this, "sign-up", known, (email) =>
      server.client.post(`${AUTH}/signup`, { name: "Enum Probe", email, password: "another password 1", confirmPassword: "another password 1" }, { headers: fromIp() }),
    );
  });

  it("sign-in: registered address with a wrong password vs unknown address", async function () {
    const known = await seedUsers(seeder.ctx, WARMUP + SAMPLES, { label: "seed" });
    await compare(this, "sign-in", known, (email) =>
      server.client.post(`${AUTH}/signin`, { email, password: `${PASSWORD}-wrong` }, { headers: fromIp() }),
    );
  });

  it("resend-verification: registered unverified address vs unknown address", async function () {
    const known = await seedUsers(seeder.ctx, WARMUP + SAMPLES, { label: "seed", verified: false });
    await compare(this, "resend-verification", known, (email) =>
      server.client.post(`${AUTH}/resend-verification`, { email }, { headers: fromIp() }),
    );
  });

  it("forgot-password: registered address vs unknown address", async function () {
    const known = await seedUsers(seeder.ctx, WARMUP + SAMPLES, { label: "seed" });
    await compare(this, "forgot-password", known, (email) =>
      server.client.post(`${AUTH}/forgot-password`, { email }, { headers: fromIp() }),
    );
  });
});
