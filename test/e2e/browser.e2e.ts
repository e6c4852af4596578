/**
 * The whole browser journey, in headless Chromium (Debian's package, driven by playwright-core),
 * against the API on PostgreSQL + Redis with mail going through the real SMTP adapter to a
 * local sink, and the example client (examples/web) served from its own origin.
 *
 *   npx mocha test/e2e/browser.e2e.ts
 *
 * Needs /usr/bin/chromium (`bash .ci/install-chromium.sh`), TEST_DATABASE_URL and TEST_REDIS_URL.
 * Outside CI a missing piece skips the file with a printed reason; in CI (CI=true) it fails.
 * Screenshots of every step land in test-output/screenshots/browser-*.png, the API's log and a
 * request trace in test-output/browser-e2e/.
 *
 * Origins: the example at http://localhost:<a>, the API at http://localhost:<b> (same site,
 * another origin, as a front end on app.example.com and an API on api.example.com), a foreign
 * page at http://localhost:<c> that is not in CORS_ORIGIN, and a fake OAuth provider.
 * Cookies ignore ports, so the API's cookies would be visible to document.cookie on the
 * example's pages if they were not httpOnly: that is what makes the document.cookie checks bite.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { expect } from "chai";
import pino from "pino";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../../src/infrastructure/config.js";
import { buildContext, type AppContext } from "../../src/infrastructure/container.js";
import { buildExample } from "../../examples/web/build.js";
import { startExampleServer, type ExampleServer } from "../../examples/web/serve.js";
import { FakeOAuthProvider } from "../support/fake-oauth-provider.js";
import { TEST_DATABASE_URL, TEST_REDIS_URL, requirePostgres, requireRedis } from "../support/services.js";

// The callbacks passed to page.evaluate run in Chromium. The root tsconfig has no DOM types (and
// adding them would change every file's globals), so this module names the little it uses.
interface PageElement {
  textContent: string | null;
  hasAttribute(name: string): boolean;
  complete?: boolean;
  naturalWidth?: number;
}
declare const document: {
  cookie: string;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const OUTPUT_DIR = path.resolve("test-output");
const SHOTS_DIR = path.join(OUTPUT_DIR, "screenshots");
const TRACE_DIR = path.join(OUTPUT_DIR, "browser-e2e");
/** The shortest access-token life config allows: the silent-refresh step waits it out. */
const ACCESS_TTL_SECONDS = 5;
const PASSWORD = "Correct-Horse-42-battery";
const NEW_PASSWORD = "Stapled-Battery-7-horse";
const AUTH = "/api/v1/auth";

// ---- what the API saw ------------------------------------------------------------------------

interface ApiHit {
  seq: number;
  method: string;
  path: string;
  origin: string | null;
  /** Names of the cookies the browser sent (values stay out of the trace). */
  cookies: string[];
  status: number;
}

function cookieNames(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(";")
    .map((part) => part.split("=")[0]!.trim())
    .filter(Boolean);
}

// ---- mail sink: the real SmtpMailer delivers here --------------------------------------------

interface SunkMail {
  to: string[];
  tag: string;
  text: string;
}

function decodeQuotedPrintable(body: string): string {
  const bytes = Buffer.from(body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1");
  return bytes.toString("utf8");
}

function parseMail(raw: string, to: string[]): SunkMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  let body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(head)?.[1]?.trim() ?? "";
  const encoding = header("Content-Transfer-Encoding").toLowerCase();
  if (encoding === "quoted-printable") body = decodeQuotedPrintable(body);
  else if (encoding === "base64") body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return { to, tag: header("X-Mail-Tag"), text: body };
}

async function startMailSink(): Promise<{ port: number; mails: SunkMail[]; close(): Promise<void> }> {
  const mails: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        mails.push(parseMail(Buffer.concat(chunks).toString("utf8"), session.envelope.rcptTo.map((r) => r.address.toLowerCase())));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- the foreign page ------------------------------------------------------------------------

async function startHtmlServer(pages: Record<string, string>): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const page = pages[new URL(req.url ?? "/", "http://x").pathname];
    if (page === undefined) res.writeHead(404).end();
    else res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, () => resolve()));
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---- a real image for the avatar (a 64×64 PNG, built here so no binary is committed) --------

function png(size: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(typed));
    return Buffer.concat([len, typed, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) row.set([40 + x * 3, 90 + y * 2, 200], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------

describe("browser journey: the example web client in headless Chromium", function () {
  this.timeout(120_000);

  const email = `browser-${randomUUID().slice(0, 8)}@example.test`;
  const name = "Ada Browser";
  const hits: ApiHit[] = [];
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let seq = 0;
  let sink: Awaited<ReturnType<typeof startMailSink>>;
  let app: AppContext;
  let apiUrl: string;
  let example: ExampleServer;
  let foreign: { origin: string };
  let fakeProvider: FakeOAuthProvider;
  let context: BrowserContext;
  let page: Page;
  let shot = 0;
  let broken: string | null = null;

  before(async function () {
    this.timeout(60_000);
    await requirePostgres(this);
    await requireRedis(this);
    if (!existsSync(CHROMIUM)) {
      const reason = `${CHROMIUM} not found (install it with: bash .ci/install-chromium.sh)`;
      if (process.env.CI === "true") throw new Error(reason);
      console.warn(`  [skip] browser journey: ${reason}`);
      this.skip();
    }

    mkdirSync(SHOTS_DIR, { recursive: true });
    mkdirSync(TRACE_DIR, { recursive: true });
    for (const file of readdirSync(SHOTS_DIR)) if (file.startsWith("browser-")) rmSync(path.join(SHOTS_DIR, file));

    sink = await startMailSink();
    cleanups.push(() => sink.close());

    // The API's port must be known before its config (PUBLIC_URL, redirect URI) is built, and the
    // example's origin before CORS_ORIGIN is: bind first, attach the app afterwards.
    const apiServer = http.createServer();
    await new Promise<void>((resolve) => apiServer.listen(0, () => resolve()));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          apiServer.close(() => resolve());
          apiServer.closeAllConnections();
        }),
    );
    apiUrl = `http://localhost:${(apiServer.address() as AddressInfo).port}`;

    await buildExample();
    example = await startExampleServer({ apiUrl, port: 0 });
    cleanups.push(() => example.close());
    const foreignServer = await startHtmlServer({ "/": "<!doctype html><title>another site</title><h1>A page the API does not trust</h1><pre id=out></pre>" });
    foreign = foreignServer;
    cleanups.push(() => foreignServer.close());
    // GitHub only: the page must offer exactly the configured providers.
    fakeProvider = await FakeOAuthProvider.start();
    cleanups.push(() => fakeProvider.close());

    const dataDir = mkdtempSync(path.join(os.tmpdir(), "hybrid-auth-e2e-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig(
      {
        NODE_ENV: "test",
        LOG_LEVEL: "info",
        DATA_DIR: dataDir,
        JWT_ACCESS_SECRET: "e2e-access-secret-0123456789abcdef0123456789",
        JWT_REFRESH_SECRET: "e2e-refresh-secret-0123456789abcdef012345678",
        CRYPTO_SECRET: "e2e-crypto-secret-0123456789abcdef0123456789",
        BCRYPT_COST: "4",
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_SECONDS),
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        CORS_ORIGIN: example.origin,
        CLIENT_URL: example.origin,
        PUBLIC_URL: apiUrl,
        ...fakeProvider.env(apiUrl, ["github"]),
      },
      { persistSecrets: false },
    );
    const logger = pino({ level: "info" }, pino.destination({ dest: path.join(TRACE_DIR, "api.log"), sync: true }));
    app = await buildContext(config, { redisPrefix: `e2e:${randomUUID()}:`, logger });
    cleanups.push(() => app.close());
    expect(app.kinds).to.deep.equal({ database: "postgres", sessions: "redis", mail: "smtp" });

    const handle = app.app.callback();
    apiServer.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const hit: ApiHit = {
        seq: ++seq,
        method: req.method ?? "?",
        path: (req.url ?? "/").split("?")[0]!,
        origin: req.headers.origin ?? null,
        cookies: cookieNames(req.headers.cookie),
        status: 0,
      };
      hits.push(hit);
      res.on("finish", () => (hit.status = res.statusCode));
      void handle(req, res);
    });

    const profileDir = mkdtempSync(path.join(os.tmpdir(), "hybrid-auth-chromium-"));
    cleanups.push(() => rmSync(profileDir, { recursive: true, force: true }));
    // A persistent context is how playwright takes a fresh --user-data-dir.
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1000, height: 900 },
      timeout: 30_000,
    });
    cleanups.push(() => context.close());
    context.setDefaultTimeout(10_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => console.warn(`  [page error] ${err.message}`));
  });

  after(async function () {
    writeFileSync(
      path.join(TRACE_DIR, "requests.log"),
      hits.map((h) => `${h.seq}\t${h.method} ${h.path}\t${h.status}\torigin=${h.origin ?? "-"}\tcookies=${h.cookies.join(",") || "-"}`).join("\n") + "\n",
    );
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
  });

  // The steps build on each other: after a failure the rest would only fail for the same reason.
  beforeEach(function () {
    if (broken) {
      console.warn(`  [skip] "${this.currentTest?.title}": an earlier step failed (${broken})`);
      this.skip();
    }
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      broken = this.currentTest.title;
      await screenshot(`FAILED-${this.currentTest.title}`).catch(() => {});
    }
  });

  // ---- helpers -------------------------------------------------------------------------------

  async function screenshot(label: string, target: Page = page): Promise<void> {
    const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    await target.screenshot({ path: path.join(SHOTS_DIR, `browser-${String(++shot).padStart(2, "0")}-${slug}.png`), fullPage: true });
  }

  async function stateIs(state: "signed-out" | "signed-in" | "deactivated"): Promise<void> {
    await page.waitForSelector(`body[data-state="${state}"]`);
  }

  async function statusShows(pattern: RegExp): Promise<void> {
    await page.waitForFunction((source) => new RegExp(source, "i").test(document.querySelector("#status")?.textContent ?? ""), pattern.source);
  }

  /** The first request the API answered after `since` for this method and path. */
  async function hitAfter(since: number, method: string, pathname: string | RegExp): Promise<ApiHit> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const hit = hits.find((h) => h.seq > since && h.method === method && (typeof pathname === "string" ? h.path === pathname : pathname.test(h.path)) && h.status !== 0);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`the API saw no answered ${method} ${pathname} after request #${since}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function mailFor(tag: string, since: number): Promise<SunkMail> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const mail = sink.mails.slice(since).find((m) => m.tag === tag && m.to.includes(email));
      if (mail) return mail;
      if (Date.now() > deadline) throw new Error(`no "${tag}" mail to ${email} reached the SMTP sink`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function apiCookies(pathname = "/") {
    const all = await context.cookies(apiUrl + pathname);
    return Object.fromEntries(all.map((c) => [c.name, c]));
  }

  /** A second device: signs in from Node in token mode. */
  async function signInElsewhere(password: string, userAgent: string): Promise<string> {
    const res = await fetch(`${apiUrl}${AUTH}/signin`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Auth-Mode": "token", "User-Agent": userAgent },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status, "sign-in from the second device").to.equal(200);
    return ((await res.json()) as { data: { tokens: { accessToken: string } } }).data.tokens.accessToken;
  }

  async function profileStatusWith(accessToken: string): Promise<number> {
    return (await fetch(`${apiUrl}${AUTH}/profile`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;
  }

  async function signInInPage(password: string): Promise<void> {
    await page.fill('#signin-form input[name="email"]', email);
    await page.fill('#signin-form input[name="password"]', password);
    await page.click('#signin-form button[type="submit"]');
  }

  /** Skips the step, with the reason printed, when the route is not there yet (others build it). */
  function skipIfMissing(ctx: Mocha.Context, hit: ApiHit, what: string): void {
    // A PATCH on a path that only has GET answers 405 until the PATCH route exists.
    if (hit.status === 404 || (hit.status === 405 && hit.method !== "GET")) {
      console.warn(`  [skip] ${what}: ${hit.method} ${hit.path} answered ${hit.status} (route not built yet)`);
      ctx.skip();
    }
  }

  // ---- the journey ---------------------------------------------------------------------------

  it("signs up on the example page and is asked for the mailed code", async function () {
    await page.goto(example.origin);
    await stateIs("signed-out");
    await page.waitForFunction(() => /API: http/.test(document.querySelector("#api-status")?.textContent ?? ""));
    await page.fill('#signup-form input[name="name"]', name);
    await page.fill('#signup-form input[name="email"]', email);
    await page.fill('#signup-form input[name="password"]', PASSWORD);
    await page.fill('#signup-form input[name="confirmPassword"]', PASSWORD);
    await page.click('#signup-form button[type="submit"]');
    await page.waitForSelector("#verify-form", { state: "visible" });
    expect(await page.inputValue('#verify-form input[name="email"]')).to.equal(email);
    await screenshot("signed up, code requested");
  });

  it("verifies the address with the code read from the SMTP sink", async function () {
    const mail = await mailFor("verify-email", 0);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code, `a 6-digit code in: ${mail.text}`).to.be.a("string");
    await page.fill('#verify-form input[name="otpCode"]', code!);
    await page.click('#verify-form button[type="submit"]');
    await statusShows(/verified/);
    expect(await page.inputValue('#signin-form input[name="email"]')).to.equal(email);
    await screenshot("email verified");
  });

  it("signs in and shows the profile; the cookies are httpOnly and the refresh cookie is path-scoped", async function () {
    await page.fill('#signin-form input[name="password"]', PASSWORD);
    await page.click('#signin-form button[type="submit"]');
    await stateIs("signed-in");
    expect(await page.textContent("#profile-name")).to.equal(name);
    expect(await page.textContent("#profile-email")).to.equal(email);
    await page.waitForSelector("#sessions li.current");

    const atRoot = await apiCookies("/");
    expect(Object.keys(atRoot)).to.include.members(["accessToken", "sid"]);
    expect(atRoot, "the refresh cookie is not sent to /").not.to.have.property("refreshToken");
    const atAuth = await apiCookies(`${AUTH}/refresh-token`);
    expect(atAuth).to.have.property("refreshToken");
    for (const cookie of Object.values(atAuth)) {
      expect(cookie.httpOnly, `${cookie.name} httpOnly`).to.equal(true);
      expect(cookie.sameSite, `${cookie.name} SameSite`).to.equal("Lax");
    }
    expect(atAuth.refreshToken!.path).to.equal(AUTH);
    expect(atAuth.accessToken!.path).to.equal("/");

    // A readable cookie on the same host shows up in document.cookie on both origins' pages, so the
    // absence of the session cookies below is down to httpOnly, not to where the script runs.
    await context.addCookies([{ name: "visibility_probe", value: "1", domain: "localhost", path: "/" }]);
    const apiPage = await context.newPage();
    try {
      await apiPage.goto(`${apiUrl}${AUTH}/profile`); // a page under the refresh cookie's path
      for (const [where, target] of [["example page", page], ["API page under /api/v1/auth", apiPage]] as const) {
        const visible = await target.evaluate(() => document.cookie);
        expect(visible, where).to.contain("visibility_probe=1");
        expect(visible, where).not.to.match(/(^|;\s*)(accessToken|refreshToken|sid)=/);
      }
    } finally {
      await apiPage.close();
      await context.clearCookies({ name: "visibility_probe" });
    }
    await screenshot("signed in, profile");
  });

  it("stays signed in after a page reload", async function () {
    const since = seq;
    await page.reload();
    await stateIs("signed-in");
    expect(await page.textContent("#profile-email")).to.equal(email);
    const profile = await hitAfter(since, "GET", `${AUTH}/profile`);
    expect(profile.status).to.equal(200);
    await screenshot("reloaded, still signed in");
  });

  it("refreshes silently once the access token has expired", async function () {
    // Start from a live token whatever the earlier steps took (the client refreshes if needed).
    const warmUp = seq;
    await page.click("#refresh-sessions");
    expect((await hitAfter(warmUp, "GET", `${AUTH}/sessions`)).status).to.be.oneOf([200, 401]);
    await page.waitForFunction(() => !document.querySelector("#refresh-sessions")?.hasAttribute("disabled"));
    const before = (await apiCookies("/")).accessToken;
    expect(before, "a live access cookie").to.exist;
    const expiresMs = before!.expires * 1000;
    expect(expiresMs - Date.now(), "the access cookie lives ACCESS_TOKEN_TTL_SECONDS").to.be.within(0, ACCESS_TTL_SECONDS * 1000 + 1000);
    await page.waitForTimeout(Math.max(0, expiresMs - Date.now()) + 1200);

    const since = seq;
    await page.click("#refresh-sessions");
    const refresh = await hitAfter(since, "POST", `${AUTH}/refresh-token`);
    await hitAfter(refresh.seq, "GET", `${AUTH}/sessions`);
    const trail = hits.filter((h) => h.seq > since && h.path.startsWith(AUTH)).slice(0, 3).map((h) => `${h.method} ${h.path} ${h.status}`);
    expect(trail).to.deep.equal([`GET ${AUTH}/sessions 401`, `POST ${AUTH}/refresh-token 200`, `GET ${AUTH}/sessions 200`]);
    expect(refresh.cookies, "the refresh call carried the refresh cookie").to.include("refreshToken");
    const after = (await apiCookies("/")).accessToken;
    expect(after, "a new access cookie").to.exist;
    expect(after!.value).not.to.equal(before!.value);
    expect(await page.getAttribute("body", "data-state")).to.equal("signed-in");
    await page.waitForSelector("#sessions li.current");
    await screenshot("silent refresh after expiry");
  });

  it("lists the sessions and revokes the other device", async function () {
    const otherToken = await signInElsewhere(PASSWORD, "Other device (e2e)");
    await page.click("#refresh-sessions");
    await page.waitForFunction(() => document.querySelectorAll("#sessions li").length === 2);
    expect(await page.textContent("#sessions li.current")).to.contain("This device");
    const other = page.locator("#sessions li:not(.current)");
    expect(await other.textContent()).to.contain("Other device (e2e)");
    await screenshot("two sessions");

    await other.locator("button.revoke").click();
    await page.waitForFunction(() => document.querySelectorAll("#sessions li").length === 1);
    await statusShows(/revoked/);
    expect(await profileStatusWith(otherToken), "the revoked device is refused at once").to.equal(401);
    await screenshot("other session revoked");
  });

  it("uploads an avatar and shows it", async function () {
    const since = seq;
    await page.setInputFiles('#avatar-form input[name="avatar"]', { name: "avatar.png", mimeType: "image/png", buffer: png(64) });
    await page.click('#avatar-form button[type="submit"]');
    const patch = await hitAfter(since, "PATCH", `${AUTH}/profile`);
    skipIfMissing(this, patch, "avatar upload");
    expect(patch.status, "PATCH /profile").to.equal(200);
    await statusShows(/saved/);
    await page.waitForSelector("#avatar", { state: "visible" });
    await page.waitForFunction(() => {
      const img = document.querySelector("#avatar");
      return !!img && img.complete === true && (img.naturalWidth ?? 0) > 0;
    });
    const src = await page.getAttribute("#avatar", "src");
    const profile = (await page.evaluate(async (url) => {
      const res = await fetch(`${url}/api/v1/auth/profile`, { credentials: "include" });
      return res.json();
    }, apiUrl)) as { data: { user: { avatar: { url: string } | null } } };
    expect(profile.data.user.avatar?.url).to.equal(src);
    await screenshot("avatar uploaded");

    // A name change alone goes as JSON.
    await page.fill('#avatar-form input[name="name"]', "Ada B. Lovelace");
    await page.click('#avatar-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector("#profile-name")?.textContent === "Ada B. Lovelace");
  });

  it("changes the password, which signs out every other session", async function () {
    const otherToken = await signInElsewhere(PASSWORD, "Laptop (e2e)");
    await page.fill('#password-form input[name="oldPassword"]', PASSWORD);
    await page.fill('#password-form input[name="newPassword"]', NEW_PASSWORD);
    await page.click('#password-form button[type="submit"]');
    await statusShows(/password changed/);
    expect(await page.getAttribute("body", "data-state")).to.equal("signed-in");
    expect(await profileStatusWith(otherToken)).to.equal(401);
    await page.waitForFunction(() => document.querySelectorAll("#sessions li").length === 1);
    await screenshot("password changed");
  });

  it("refuses a page from an origin outside CORS_ORIGIN (CORS blocks reading, CSRF refuses writes)", async function () {
    const since = seq;
    const attacker = await context.newPage();
    try {
      await attacker.goto(foreign.origin);
      // No named functions inside: tsx's __name helper does not exist in the page.
      const outcomes = await attacker.evaluate(async (api) => {
        const attempts: Array<[string, string, Record<string, unknown>]> = [
          // A "simple" request: the browser sends it without asking first, cookies included.
          ["POST logout", "/api/v1/auth/logout", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "{}" }],
          // Needs a preflight, which the API does not grant to this origin: never sent.
          ["DELETE sessions", "/api/v1/auth/sessions", { method: "DELETE" }],
          ["GET profile", "/api/v1/auth/profile", { method: "GET" }],
        ];
        const out: string[] = [];
        for (const [label, target, init] of attempts) {
          try {
            const res = await fetch(api + target, { credentials: "include", ...init });
            out.push(`${label}: read ${res.status} ${await res.text()}`);
          } catch (err) {
            out.push(`${label}: blocked (${(err as Error).name})`);
          }
        }
        document.querySelector("#out")!.textContent = out.join("\n");
        return out;
      }, apiUrl);
      await screenshot("foreign origin refused", attacker);
      expect(outcomes).to.deep.equal(["POST logout: blocked (TypeError)", "DELETE sessions: blocked (TypeError)", "GET profile: blocked (TypeError)"]);
    } finally {
      await attacker.close();
    }

    const fromForeign = hits.filter((h) => h.seq > since && h.origin === foreign.origin);
    const logout = fromForeign.find((h) => h.method === "POST" && h.path === `${AUTH}/logout`);
    expect(logout, "the simple POST reached the API").to.exist;
    // Same site, so the Lax cookies rode along: the Origin check is what refused it.
    expect(logout!.cookies).to.include.members(["accessToken", "refreshToken"]);
    expect(logout!.status, "CSRF_REJECTED").to.equal(403);
    expect(fromForeign.some((h) => h.method === "DELETE"), "the DELETE was never sent").to.equal(false);

    // Nothing happened to the session.
    const check = seq;
    await page.reload();
    await stateIs("signed-in");
    expect((await hitAfter(check, "GET", `${AUTH}/profile`)).status).to.equal(200);
    await page.waitForSelector("#sessions li.current");
  });

  it("sends the refresh cookie only to /api/v1/auth paths", async function () {
    const withRefresh = hits.filter((h) => h.cookies.includes("refreshToken"));
    expect(withRefresh.length).to.be.greaterThan(0);
    for (const h of withRefresh) expect(h.path, `${h.method} ${h.path}`).to.match(/^\/api\/v1\/auth\//);
    // The page's health check is a credentialed call outside /api/v1/auth.
    const health = hits.filter((h) => h.path === "/api/v1/health" && h.cookies.includes("accessToken"));
    expect(health.length, "credentialed calls outside /api/v1/auth").to.be.greaterThan(0);
    for (const h of health) expect(h.cookies).not.to.include("refreshToken");
  });

  it("signs out, clears the cookies, and stays signed out after a reload", async function () {
    const since = seq;
    await page.click("#signout");
    await stateIs("signed-out");
    expect((await hitAfter(since, "POST", `${AUTH}/logout`)).status).to.equal(200);
    const left = { ...(await apiCookies("/")), ...(await apiCookies(`${AUTH}/refresh-token`)) };
    expect(left).not.to.have.any.keys("accessToken", "refreshToken", "sid");
    await page.reload();
    await stateIs("signed-out");
    await screenshot("signed out");
  });

  it("signs in with GitHub, the one configured provider, through the whole OAuth round trip", async function () {
    const probe = await fetch(`${apiUrl}/api/auth/github`, { redirect: "manual" });
    const probeBody = probe.status === 404 ? ((await probe.json().catch(() => ({}))) as { code?: string }) : {};
    if (probe.status === 404 && probeBody.code !== "PROVIDER_NOT_CONFIGURED") {
      console.warn(`  [skip] OAuth sign-in: GET /api/auth/github answered 404 ${probeBody.code ?? ""} (route not built yet)`);
      this.skip();
    }
    await page.reload();
    await stateIs("signed-out");
    await page.waitForSelector('#oauth a.oauth[data-provider="github"]', { state: "visible" });
    expect(await page.locator("#oauth a.oauth").count(), "only GitHub is configured").to.equal(1);
    await screenshot("oauth button");

    // The provider is another site (127.0.0.1): the way back is a cross-site redirect chain, on
    // which only SameSite=Lax cookies on a top-level GET survive, so the state check is real.
    const oauthEmail = `oauth-${randomUUID().slice(0, 8)}@example.test`;
    fakeProvider.setUser("github", { id: String(Date.now() % 1_000_000_000), name: "Grace OAuth", email: oauthEmail, emailVerified: true });
    const authorizeCount = fakeProvider.authorizeRequests.length;
    await page.click('#oauth a[data-provider="github"]');
    await stateIs("signed-in");
    expect(await page.textContent("#profile-email")).to.equal(oauthEmail);
    expect(page.url().startsWith(example.origin), "back on the example").to.equal(true);
    const authorize = fakeProvider.authorizeRequests.slice(authorizeCount);
    expect(authorize, "one trip to the provider").to.have.length(1);
    expect(authorize[0]!.query.redirect_uri).to.equal(`${apiUrl}/api/auth/github/callback`);
    expect(authorize[0]!.query.state ?? "", "state").to.have.length.greaterThan(15);
    const cookies = await apiCookies(`${AUTH}/refresh-token`);
    expect(cookies).to.include.keys("accessToken", "refreshToken", "sid");
    for (const cookie of Object.values(cookies)) expect(cookie.httpOnly, cookie.name).to.equal(true);
    await screenshot("signed in with github");

    await page.click("#signout");
    await stateIs("signed-out");

    // The user says no at the provider: back on the page with an error, nobody signed in.
    fakeProvider.denyNext("github");
    await page.click('#oauth a[data-provider="github"]');
    await statusShows(/provider failed/);
    expect(await page.getAttribute("body", "data-state")).to.equal("signed-out");
    expect(new URL(page.url()).search, "the error leaves the address bar").to.equal("");
    await screenshot("oauth denied");
  });

  it("signs in with the new password (the old one is refused)", async function () {
    await signInInPage(PASSWORD);
    await statusShows(/invalid/);
    expect(await page.getAttribute("body", "data-state")).to.equal("signed-out");
    await signInInPage(NEW_PASSWORD);
    await stateIs("signed-in");
    await screenshot("signed in with the new password");
  });

  it("deactivates the account through the mailed link, then reactivates it", async function () {
    const since = seq;
    const mailsBefore = sink.mails.length;
    await page.fill('#delete-request-form input[name="password"]', NEW_PASSWORD);
    await page.click('#delete-request-form button[type="submit"]');
    const request = await hitAfter(since, "POST", `${AUTH}/account/request-delete`);
    skipIfMissing(this, request, "account deletion");
    expect(request.status).to.equal(200);
    const link = /https?:\/\/\S+/.exec((await mailFor("account-delete", mailsBefore)).text)?.[0];
    expect(link, "a link in the deletion mail").to.be.a("string");
    expect(link!.startsWith(example.origin), `the link goes to CLIENT_URL: ${link}`).to.equal(true);

    await page.goto(link!);
    await stateIs("signed-in");
    await page.waitForSelector("#delete-confirm-form", { state: "visible" });
    expect(page.url(), "the token leaves the address bar").to.equal(`${example.origin}/`);
    await page.check('#delete-confirm-form input[value="soft"]');
    await screenshot("confirm deactivation");
    await page.click('#delete-confirm-form button[type="submit"]');
    await stateIs("signed-out");
    await statusShows(/deactivated/);

    await signInInPage(NEW_PASSWORD);
    await stateIs("deactivated");
    await screenshot("deactivated account");
    await page.click("#reactivate");
    await stateIs("signed-in");
    expect(await page.textContent("#profile-email")).to.equal(email);
    await screenshot("reactivated");
  });

  it("erases the account for good (hard delete); its password no longer signs in", async function () {
    const since = seq;
    const mailsBefore = sink.mails.length;
    await page.fill('#delete-request-form input[name="password"]', NEW_PASSWORD);
    await page.click('#delete-request-form button[type="submit"]');
    const request = await hitAfter(since, "POST", `${AUTH}/account/request-delete`);
    skipIfMissing(this, request, "account deletion");
    expect(request.status).to.equal(200);
    const link = /https?:\/\/\S+/.exec((await mailFor("account-delete", mailsBefore)).text)?.[0];
    await page.goto(link!);
    await page.waitForSelector("#delete-confirm-form", { state: "visible" });
    await page.check('#delete-confirm-form input[value="hard"]');
    await page.click('#delete-confirm-form button[type="submit"]');
    await stateIs("signed-out");
    await statusShows(/deleted/);
    expect(await apiCookies("/")).not.to.have.any.keys("accessToken", "sid");

    await signInInPage(NEW_PASSWORD);
    await statusShows(/invalid/);
    expect(await page.getAttribute("body", "data-state")).to.equal("signed-out");
    await screenshot("account erased");
  });
});
