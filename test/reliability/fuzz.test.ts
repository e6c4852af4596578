/**
 * 4. Input fuzz: property-based (fast-check) requests against every route in app.routeSpecs,
 * picked up generically so new routes are fuzzed the day they land. Hostile JSON bodies,
 * non-object JSON, invalid UTF-8, huge strings, `__proto__`/`constructor` keys, NUL bytes, SQL
 * injection strings, hostile query strings, headers and path parameters; raw sockets for what
 * Node's client refuses to send (CRLF and NUL in header values, bad framing, bad methods).
 *
 * Properties: never a 5xx (501 for unknown methods aside), every JSON answer is the envelope
 * with the right statusCode, never a stack trace, SQL or a password hash in a body, the app
 * keeps answering, nothing is logged as an unhandled error, and the users table changes only
 * by the sign-ups that were answered 201.
 */
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import pino from "pino";
import type { RouteSpec } from "../../src/adapters/http/route-spec.js";
import type { User } from "../../src/domain/user.entity.js";
import { requirePostgres, requireRedis } from "../support/services.js";
import { AUTH, bcryptHash, HEALTH, mintSession, PASSWORD, seedUsers, startApp, uniqueEmail, type RunningApp } from "./support/app.js";
import { rawRequest, type HttpResponse } from "./support/http.js";
import { note } from "./support/summary.js";

const BATCH = 10;
const RUNS = Number(process.env.FUZZ_RUNS ?? 520);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const JSON_LIMIT = 100 * 1024;

// Hostile values. Kept free of the markers the leak check looks for, so an echo is never mistaken for a leak.
const SQL = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  "\"; DROP TABLE users; --",
  "1; SELECT pg_sleep(3) --",
  "' UNION SELECT * FROM users --",
  "admin'--",
  "%' OR email LIKE '%",
  "') OR ('a'='a",
  "\\'; TRUNCATE users CASCADE; --",
  "$1",
  "E'\\\\x00'",
  "'||(SELECT version())||'",
  "1' AND SLEEP(3)#",
];
const HOSTILE = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "%00",
  "%2e%2e%2f",
  "\r\nSet-Cookie: evil=1",
  "${jndi:ldap://127.0.0.1/a}",
  "{{7*7}}",
  "\ud800",
  "\udfff\ud800",
  "\uffff\ufffe",
  "\u202e\u0000\u200b",
  "🙂".repeat(40),
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e309",
  "9".repeat(400),
  "true",
  "[]",
  "{}",
];
const CANARY_EMAIL = `canary-${randomUUID().slice(0, 8)}@example.test`;
const EMAIL_TRICKS = (email: string) => [
  email,
  email.toUpperCase(),
  ` ${email} `,
  `${email}\u0000`,
  `${email}' OR '1'='1`,
  `${email}'--`,
  `"${email}"`,
  `${email},other@example.test`,
  email.replace("@", "%40"),
  email.replace("@", "@@"),
];

/** What Node's client accepts in a header value; kept short so most requests get past the 16 kB header limit (431 is tried raw). */
const header = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?").slice(0, 3000);

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SQL, ...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(...EMAIL_TRICKS(CANARY_EMAIL)) },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Values that pass validation, so the hostile field next to them reaches the use case. */
function plausible(field: string): fc.Arbitrary<unknown> {
  if (/email/i.test(field)) return fc.oneof(fc.constant(null).map(() => uniqueEmail("fuzz")), fc.constant(CANARY_EMAIL), fc.emailAddress());
  if (/password/i.test(field)) return fc.constantFrom(PASSWORD, "another password 1", "another password 1", "short");
  if (/otp|code/i.test(field)) return fc.stringMatching(/^\d{6}$/);
  if (field === "type") return fc.constantFrom("soft", "hard");
  if (/token/i.test(field)) return fc.constantFrom("<refresh>", "<access>", "<random>");
  if (field === "name") return fc.constantFrom("Fuzz User", "Robert'); DROP TABLE users;--", "O'Brien");
  return hostileValue;
}

const MASS_ASSIGNMENT = ["__proto__", "constructor", "prototype", "role", "isEmailVerified", "id", "passwordHash", "deactivatedAt", "userId"];

function fieldsOf(schema: unknown): string[] {
  const s = schema as { entries?: Record<string, unknown>; pipe?: Array<{ entries?: Record<string, unknown> }> } | undefined;
  return Object.keys(s?.entries ?? s?.pipe?.[0]?.entries ?? {});
}

type Auth = "none" | "bearer" | "cookie" | "refresh-cookie" | { hostile: string };
type Body =
  | { kind: "none" }
  | { kind: "object"; entries: Array<[string, unknown]> }
  | { kind: "json"; value: unknown }
  | { kind: "bytes"; bytes: Buffer }
  | { kind: "oversized"; size: number }
  | { kind: "multipart"; boundary: string; parts: Array<{ name: string; filename?: string; type?: string; data: Buffer }> };

interface HttpCase {
  kind: "http";
  route: string;
  method: string;
  path: string;
  query: string;
  auth: Auth;
  body: Body;
  contentType: string | null;
  headers: Record<string, string>;
}
interface RawCase {
  kind: "raw";
  route: string;
  bytes: Buffer;
}
type Case = HttpCase | RawCase;

const INVALID_UTF8 = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xe0, 0x80, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xc3, 0x28]),
];
const rawBodies: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(...INVALID_UTF8).map((b) => Buffer.concat([Buffer.from('{"email":"'), b, Buffer.from('@example.test","password":"x"}')])),
  fc.constantFrom(...INVALID_UTF8),
  fc.constant(Buffer.from('{"email":')),
  fc.constant(Buffer.from('{"__proto__":{"isAdmin":true,"role":"admin"},"constructor":{"prototype":{"polluted":true}},"email":"a@b.co"}')),
  fc.constant(Buffer.from('{"email":"a@b.co","email":"b@c.co","password":"x","password":{"$ne":null}}')),
  fc.constant(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"email":"a@b.co"}')])),
  fc.constant(Buffer.from('{"email":"a@b.co"}', "utf16le")),
  fc.constant(Buffer.from(`${"[".repeat(40_000)}${"]".repeat(40_000)}`)),
  fc.constant(Buffer.from(`${'{"a":'.repeat(15_000)}1${"}".repeat(15_000)}`)),
  fc.constant(Buffer.from('{"email":"a\u0000@b.co","password":"\u0000"}')),
  fc.constant(Buffer.from("\u0000\u0000\u0000\u0000")),
  fc.constant(Buffer.from("NaN")),
  fc.constant(Buffer.from('{"a":1e999999}')),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
);

const weirdPaths = [
  "/",
  "/api",
  "/api/v1/auth",
  "/api/v1/auth/",
  "//api/v1/auth/profile",
  "/api/v1/auth/../../etc/passwd",
  "/api/v1/auth/%2e%2e/%2e%2e/etc/passwd",
  "/API/V1/AUTH/PROFILE",
  "/api/v1/auth/profile%00",
  "/api/v1/auth/signin;jsessionid=1",
  "/api/v1/auth/sessions/%2e%2e%2fprofile",
  "/api/v1/auth/sessions/..%2F..%2Fprofile",
  "/api/v1/auth/sessions/%",
  "/api/v1/auth/sessions/%ZZ",
  "/api/v1/auth/sessions/%00",
  `/api/v1/auth/sessions/${"a".repeat(5000)}`,
  "/api/docs/../openapi.json",
  "/api/v1/health/%2e%2e",
  "/favicon.ico",
  "/.env",
  "/.git/config",
];
const PARAM_VALUES = [
  "../../profile",
  "..%2F..%2Fprofile",
  "%2e%2e%2f%2e%2e%2f",
  "%00",
  "%",
  "%ZZ",
  encodeURIComponent("' OR 1=1--"),
  encodeURIComponent("'; DROP TABLE users; --"),
  encodeURIComponent("\u0000"),
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "a".repeat(2000),
  encodeURIComponent("ü🙂"),
  "%C0%AF",
  "%FF%FE",
  "null",
  "__proto__",
  "constructor",
];

/** Percent-encodes every byte outside the unreserved set; never throws (lone surrogates included). */
function pct(s: string): string {
  return [...Buffer.from(s, "utf8")].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}

function queryArb(): fc.Arbitrary<string> {
  const pair = fc.oneof(
    fc.tuple(fc.constantFrom("token", "type", "email", "redirect", "__proto__[admin]", "constructor[prototype][x]", "a[]", "a[0][b]", "%zz", "%00"), hostileString).map(
      ([k, v]) => `${k}=${pct(v)}`,
    ),
    fc.constantFrom("%zz=%zz", "a=%", "&&&", "=", "x=1&x=2&x=3", `long=${"y".repeat(6000)}`, "token=", "type=hard&token=abc"),
  );
  return fc.oneof({ weight: 2, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.join("&")}`) });
}

function authArb(): fc.Arbitrary<Auth> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Auth>("none") },
    { weight: 4, arbitrary: fc.constant<Auth>("bearer") },
    { weight: 2, arbitrary: fc.constant<Auth>("cookie") },
    { weight: 1, arbitrary: fc.constant<Auth>("refresh-cookie") },
    { weight: 2, arbitrary: hostileString.map((h): Auth => ({ hostile: h })) },
  );
}

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    "x-forwarded-for": fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("1.1.1.1, <script>", "::ffff:999.1.1.1", "unknown", "' OR 1=1", "a".repeat(1000), "")),
    "x-auth-mode": fc.oneof(fc.constant("token"), hostileString),
    // Mostly the allowed origin: a foreign one is refused (403) before the body is read, which the fuzz checks but should not spend most requests on.
    origin: fc.constantFrom("http://localhost:3000", "http://localhost:3000", "http://localhost:3000", "https://evil.example", "null", "http://localhost:3000.evil.example"),
    "sec-fetch-site": fc.constantFrom("same-origin", "same-origin", "same-origin", "cross-site", "none", "' OR 1=1"),
    "x-request-id": hostileString,
    "user-agent": hostileString,
    accept: fc.constantFrom("*/*", "application/json", "text/html", "application/xml;q=0.9, */*;q=0.1", "\u00ff"),
    "accept-encoding": fc.constantFrom("gzip", "br", "identity;q=0", "*;q=0", "x".repeat(500)),
  },
  { requiredKeys: ["x-forwarded-for"] },
).map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, header(v)])));

const CONTENT_TYPES = [
  "application/json",
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "application/merge-patch+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=----x",
  "multipart/form-data",
  "application/xml",
  "application/json, text/plain",
  "",
];

function bodyArb(route: RouteSpec): fc.Arbitrary<Body> {
  const fields = fieldsOf(route.body);
  const field = (name: string) => fc.oneof({ weight: 3, arbitrary: plausible(name) }, { weight: 2, arbitrary: hostileValue });
  const objectBody = fc
    .tuple(
      fc.tuple(...(fields.length ? fields : ["email"]).map((f) => fc.option(field(f), { freq: 5 }).map((v) => [f, v] as [string, unknown]))),
      fc.array(fc.tuple(fc.oneof(fc.constantFrom(...MASS_ASSIGNMENT), hostileString), hostileValue), { maxLength: 3 }),
    )
    .chain(([known, extra]) =>
      fc.boolean().map((confirm): Body => {
        const entries = known.filter(([, v]) => v !== null);
        // Half the time confirmPassword repeats password, so sign-ups get past validation and reach the database.
        const password = entries.find(([k]) => k === "password")?.[1];
        if (confirm && password !== undefined) for (const e of entries) if (e[0] === "confirmPassword") e[1] = password;
        return { kind: "object", entries: [...entries, ...extra] };
      }),
    );
  // Every field plausible but one (maybe none): validation passes and the hostile value reaches the use case and the database.
  const names = fields.length ? fields : ["email"];
  const deepBody = fc
    .tuple(fc.tuple(...names.map((f) => plausible(f))), fc.nat({ max: names.length }), hostileString)
    .map(([values, pick, hostile]): Body => {
      const entries = names.map((f, i): [string, unknown] => [f, i === pick ? hostile : values[i]]);
      const password = entries.find(([k]) => k === "password")?.[1];
      for (const e of entries) if (e[0] === "confirmPassword" && pick !== names.indexOf("confirmPassword")) e[1] = password;
      return { kind: "object", entries };
    });
  const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
  const part = fc.record({
    name: fc.oneof(fc.constantFrom("name", "avatar", route.multipart?.fileField ?? "avatar"), hostileString.map(header)),
    filename: fc.option(fc.constantFrom("../../../etc/passwd", "a.png", "..\\..\\a.png", "a.png\u0000.sh", "%2e%2e%2fx.png", "x".repeat(300), "ü.gif"), { nil: undefined }),
    type: fc.option(fc.constantFrom("image/png", "image/svg+xml", "text/html", "application/x-php", "image/gif"), { nil: undefined }),
    data: fc.oneof(
      hostileString.map((x) => Buffer.from(x)),
      fc.constant(PNG),
      fc.constant(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.concat([PNG, Buffer.from(a)])),
    ),
  });
  const multipartBody = fc
    .tuple(fc.array(part, { minLength: 1, maxLength: 3 }), fc.constantFrom("----fuzz", "x", "--", "a".repeat(69)))
    .map(([parts, boundary]): Body => ({ kind: "multipart", boundary, parts: parts.map((p) => ({ name: p.name, data: p.data, ...(p.filename ? { filename: p.filename } : {}), ...(p.type ? { type: p.type } : {}) })) }));
  return fc.oneof(
    { weight: route.multipart ? 6 : 0, arbitrary: multipartBody },
    { weight: 7, arbitrary: objectBody },
    { weight: 6, arbitrary: deepBody },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom<unknown>(null, 0, -1, 1e308, "", "string", true, false, [], [{}], [[[]]]), hostileValue).map((value): Body => ({ kind: "json", value })) },
    { weight: 3, arbitrary: rawBodies.map((bytes): Body => ({ kind: "bytes", bytes })) },
    { weight: 1, arbitrary: fc.integer({ min: JSON_LIMIT + 1, max: 3 * JSON_LIMIT }).map((size): Body => ({ kind: "oversized", size })) },
    { weight: 3, arbitrary: fc.constant<Body>({ kind: "none" }) },
  );
}

function httpCaseArb(routes: RouteSpec[]): fc.Arbitrary<HttpCase> {
  const routed = fc.constantFrom(...routes).chain((route) =>
    fc.record({
      kind: fc.constant("http" as const),
      route: fc.constant(`${route.method.toUpperCase()} ${route.path}`),
      method: fc.oneof({ weight: 9, arbitrary: fc.constant(route.method.toUpperCase()) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") }),
      path: fc
        .array(fc.oneof({ weight: 2, arbitrary: fc.constant("<session>") }, { weight: 1, arbitrary: fc.uuid() }, { weight: 3, arbitrary: fc.constantFrom(...PARAM_VALUES) }), {
          minLength: 3,
          maxLength: 3,
        })
        .map((values) => {
          let i = 0;
          return route.path.replace(/:(\w+)/g, () => values[i++ % values.length]!);
        }),
      query: queryArb(),
      auth: authArb(),
      body: bodyArb(route),
      contentType: fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(null) }),
      headers: extraHeaders,
    }),
  );
  const stray = fc.record({
    kind: fc.constant("http" as const),
    route: fc.constant("(other paths)"),
    method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"),
    path: fc.constantFrom(...weirdPaths),
    query: queryArb(),
    auth: authArb(),
    body: bodyArb(routes[0]!),
    contentType: fc.constantFrom(...CONTENT_TYPES),
    headers: extraHeaders,
  });
  return fc.oneof({ weight: 12, arbitrary: routed }, { weight: 1, arbitrary: stray });
}

/** What Node's http client refuses to send: CR, LF and NUL in header values, bad framing and methods. */
function rawCaseArb(routes: RouteSpec[]): fc.Arbitrary<RawCase> {
  const injections = [
    "a\rb",
    "a\nb",
    "a\r\nSet-Cookie: evil=1",
    "a\r\nX-Injected: 1",
    "ok\r\n evil-folded-continuation",
    "a\u0000b",
    "Bearer \u0000abc",
    "\r\n\r\nGET /api/v1/health HTTP/1.1\r\nHost: x",
  ];
  const headerNames = ["X-Request-Id", "Authorization", "Cookie", "X-Forwarded-For", "X-Auth-Mode", "User-Agent", "Origin"];
  return fc.constantFrom(...routes).chain((route) => {
    const path = route.path.replace(/:(\w+)/g, "x");
    const method = route.method.toUpperCase();
    const body = '{"email":"raw@example.test","password":"correct horse battery staple"}';
    const crlfCase = fc
      .tuple(fc.constantFrom(...headerNames), fc.constantFrom(...injections))
      .map(([name, value]) => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${name}: ${value}\r\nConnection: close\r\n\r\n`);
    const framing = fc.constantFrom(
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\nConnection: close\r\n\r\n0123456789`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      `${method} ${path}\r\n\r\n`,
      `${method} ${path} HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nBad Header: x\r\nConnection: close\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      `${method} ${path}?a=\u00ff\u0000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `${method} /api/v1/auth/sessions/ü%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `${method} /api/v1/auth/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `FOO ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `PROPFIND ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `TRACE ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `G\u0000ET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `${method} http://evil.example${path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    return fc.oneof(crlfCase, framing).map((text): RawCase => ({ kind: "raw", route: `${method} ${route.path}`, bytes: Buffer.from(text, "latin1") }));
  });
}

// ---------------------------------------------------------------------------------------------

const LEAKS: Array<[string, RegExp]> = [
  ["stack frame", /\n\s+at \S.*:\d+:\d+/],
  ["stack frame", /\bat (async )?[\w.<>]+ \((file:|node:|\/)[^)]*:\d+:\d+\)/],
  ["node internals", /node:internal|node_modules\//],
  ["source path", /\/src\/[\w/.-]+\.ts\b/],
  ["SQL", /Failed query:|DrizzleQueryError|SQLSTATE|syntax error at or near|violates \w+ constraint|duplicate key value|relation "\w+" does not exist|column "\w+" does not exist/i],
  ["schema", /\b(password_hash|email_normalized|avatar_key)\b/],
  ["password hash", /\$2[aby]\$\d\d\$[./A-Za-z0-9]{20}/],
  ["JS error", /\b(ReferenceError|TypeError|RangeError|SyntaxError|AggregateError)\b/],
];

interface Tally {
  requests: number;
  raw: number;
  rawClosedWithoutAnswer: number;
  byRoute: Map<string, number>;
  byStatus: Map<number, number>;
  created201: Set<string>;
  failures: string[];
}

describe("Input fuzz", function () {
  let app: RunningApp;
  let fuzzUsers: User[];
  let canary: User;
  const errorLogs: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async function () {
    await requirePostgres(this);
    await requireRedis(this);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) errorLogs.push(line);
        done();
      },
    });
    app = await startApp({ env: { BCRYPT_COST: "4" }, build: { logger: pino({ level: "error" }, sink) } });
    fuzzUsers = await seedUsers(app.ctx, 3, { label: "fuzz" });
    const now = new Date();
    canary = await app.ctx.users.create({
      id: randomUUID(),
      name: "Canary",
      email: CANARY_EMAIL,
      emailNormalized: CANARY_EMAIL,
      // A password the fuzzer does not know: a successful sign-in would (rightly) touch the row.
      passwordHash: await bcryptHash(randomUUID(), 4),
      role: "user",
      avatar: null,
      isEmailVerified: true,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
      deactivatedAt: null,
      purgeAfter: null,
    });
    process.on("unhandledRejection", onUnhandled);
  });

  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await app?.close();
  });

  async function usersSnapshot(): Promise<Map<string, string>> {
    const result = await app.ctx.database!.db.execute(
      sql`select id, name, email, email_normalized, password_hash, role, is_email_verified, created_at, updated_at, deactivated_at, last_login_at from users`,
    );
    const rows = (result as unknown as { rows: Array<Record<string, unknown>> }).rows;
    return new Map(rows.map((r) => [String(r.id), JSON.stringify(r)]));
  }

  function serialize(entries: Array<[string, unknown]>): string {
    const parts: string[] = [];
    for (const [k, v] of entries) {
      const value = JSON.stringify(v);
      if (value !== undefined) parts.push(`${JSON.stringify(k)}:${value}`);
    }
    return `{${parts.join(",")}}`;
  }

  async function materialize(c: HttpCase): Promise<{ path: string; headers: Record<string, string>; body?: Buffer }> {
    const user = fuzzUsers[Math.floor(Math.random() * fuzzUsers.length)]!;
    const needsSession =
      c.auth === "bearer" || c.auth === "cookie" || c.auth === "refresh-cookie" || c.path.includes("<session>") ||
      (c.body.kind === "object" && c.body.entries.some(([, v]) => v === "<refresh>" || v === "<access>"));
    const session = needsSession ? await mintSession(app, user) : null;
    const headers: Record<string, string> = { ...c.headers };
    const cookies: string[] = [];
    if (c.auth === "bearer") headers.authorization = `Bearer ${session!.accessToken}`;
    else if (c.auth === "cookie") cookies.push(`accessToken=${session!.accessToken}`, `sid=${session!.sessionId}`);
    else if (c.auth === "refresh-cookie") cookies.push(`refreshToken=${session!.refreshToken}`);
    else if (typeof c.auth === "object") {
      if (c.auth.hostile.length % 2) headers.authorization = header(`Bearer ${c.auth.hostile}`);
      else cookies.push(header(`accessToken=${c.auth.hostile}; sid=${c.auth.hostile}; refreshToken=${c.auth.hostile}`));
    }
    if (cookies.length) headers.cookie = cookies.join("; ");
    const path = c.path.replaceAll("<session>", session?.sessionId ?? randomUUID()) + c.query;
    let body: Buffer | undefined;
    const swap = (v: unknown) =>
      v === "<refresh>" ? session!.refreshToken : v === "<access>" ? session!.accessToken : v === "<random>" ? randomUUID().replaceAll("-", "") + "abcdefghij" : v;
    switch (c.body.kind) {
      case "object":
        body = Buffer.from(serialize(c.body.entries.map(([k, v]) => [k, swap(v)])));
        break;
      case "json":
        body = Buffer.from(JSON.stringify(c.body.value) ?? "null");
        break;
      case "bytes":
        body = c.body.bytes;
        break;
      case "oversized":
        body = Buffer.from(`{"email":"${"a".repeat(c.body.size)}@example.test"}`);
        break;
      case "multipart": {
        const b = c.body.boundary;
        body = Buffer.concat([
          ...c.body.parts.flatMap((p) => [
            Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n`, "utf8"),
            p.data,
            Buffer.from("\r\n"),
          ]),
          Buffer.from(`--${b}--\r\n`),
        ]);
        headers["content-type"] = `multipart/form-data; boundary=${b}`;
        return { path, headers, body };
      }
    }
    if (body && c.contentType !== null) headers["content-type"] = c.contentType;
    return { path, headers, ...(body ? { body } : {}) };
  }

  /** Documents served as they are (the OpenAPI file): their 2xx answers are not the envelope. */
  function isDocument(route: string): boolean {
    return app.ctx.app.routeSpecs.some((r) => r.tag === "docs" && `${r.method.toUpperCase()} ${r.path}` === route);
  }

  function check(tally: Tally, label: string, status: number | null, text: string, headers?: Record<string, unknown>, contentType?: string, document = false): void {
    const fail = (why: string) => tally.failures.push(`${label} → ${status}: ${why}: ${text.slice(0, 300)}`);
    if (status !== null) tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
    if (status !== null && status >= 500 && status !== 501) fail("server error");
    for (const [what, re] of LEAKS) if (re.test(text)) fail(`${what} in the body`);
    if (headers) {
      for (const [name, value] of Object.entries(headers)) {
        if (/evil|injected/i.test(name) || /evil=1/.test(String(value))) fail(`injected response header ${name}`);
      }
    }
    if (contentType && /json/.test(contentType) && text.length > 0 && status !== null) {
      let body: { success?: unknown; statusCode?: unknown; code?: unknown } | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        fail("invalid JSON");
        return;
      }
      if (document && status < 300) return;
      if (typeof body?.success !== "boolean" || body.statusCode !== status) fail("not the envelope");
      else if (status >= 400 && (body.success !== false || typeof body.code !== "string")) fail("error without code");
    }
  }

  async function send(tally: Tally, c: Case): Promise<void> {
    tally.requests++;
    tally.byRoute.set(c.route, (tally.byRoute.get(c.route) ?? 0) + 1);
    if (c.kind === "raw") {
      tally.raw++;
      const res = await rawRequest(app.port, c.bytes, 10_000);
      if (res.status === null) tally.rawClosedWithoutAnswer++;
      const split = res.text.indexOf("\r\n\r\n");
      const head = split >= 0 ? res.text.slice(0, split) : res.text;
      const bodyText = split >= 0 ? Buffer.from(res.text.slice(split + 4), "latin1").toString("utf8") : "";
      const headers = Object.fromEntries(head.split("\r\n").slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      const chunked = /chunked/i.test(headers["transfer-encoding"] ?? "");
      // Only the first answer: an injected CRLFCRLF makes a second, pipelined request (answered too).
      const length = Number(headers["content-length"] ?? Buffer.byteLength(bodyText));
      const first = Buffer.from(bodyText).subarray(0, length).toString("utf8");
      check(tally, `raw ${JSON.stringify(c.bytes.toString("latin1").slice(0, 120))}`, res.status, chunked ? "" : first, headers, chunked ? undefined : headers["content-type"], isDocument(c.route));
      return;
    }
    const m = await materialize(c);
    let res: HttpResponse;
    try {
      res = await app.client.request(c.method, m.path, { headers: m.headers, ...(m.body ? { body: m.body } : {}), timeoutMs: 10_000 });
    } catch (err) {
      tally.failures.push(`${c.method} ${m.path.slice(0, 200)}: no answer: ${(err as Error).message}`);
      return;
    }
    const sent = m.body ? ` ${JSON.stringify(m.body.subarray(0, 160).toString("latin1"))}` : "";
    check(tally, `${c.method} ${m.path.slice(0, 200)} [${c.body.kind}, ${c.contentType}]${sent}`, res.status, res.text, res.headers, String(res.headers["content-type"] ?? ""), isDocument(c.route));
    if (c.body.kind === "oversized" && c.method !== "GET" && c.method !== "HEAD" && res.status !== 413 && res.status < 500) {
      // Only when the route reads a body, accepts the type and the caller got past auth.
      const route = app.ctx.app.routeSpecs.find((r) => `${r.method.toUpperCase()} ${r.path}` === c.route);
      const past = route && route.body && route.method.toUpperCase() === c.method && (c.contentType === "application/json" || c.contentType === "application/json; charset=utf-8") && (route.auth === "none" || c.auth === "bearer");
      if (past && res.status !== 429 && res.status !== 403 && res.status !== 431) tally.failures.push(`${c.route}: ${m.body!.length} bytes answered ${res.status}, not 413`);
    }
    if (c.method === "POST" && /\/signup$/.test(c.route) && res.status === 201 && c.body.kind === "object") {
      const email = c.body.entries.find(([k]) => k === "email")?.[1];
      if (typeof email === "string") tally.created201.add(email.trim().toLowerCase());
    }
  }

  it(`≥ 5,000 hostile requests over every route: no 5xx, no leak, no crash, users table intact`, async function () {
    const routes = app.ctx.app.routeSpecs;
    expect(routes.length).to.be.greaterThan(5);
    const before = await usersSnapshot();
    const tally: Tally = { requests: 0, raw: 0, rawClosedWithoutAnswer: 0, byRoute: new Map(), byStatus: new Map(), created201: new Set(), failures: [] };

    // A valid sign-up whose name is an injection string: stored verbatim, nothing else touched.
    const bobby = uniqueEmail("bobby");
    const signup = await app.client.post(`${AUTH}/signup`, { name: "Robert'); DROP TABLE users;--", email: bobby, password: PASSWORD, confirmPassword: PASSWORD });
    expect(signup.status).to.equal(201);
    tally.created201.add(bobby);

    const caseArb: fc.Arbitrary<Case> = fc.oneof({ weight: 9, arbitrary: httpCaseArb(routes) }, { weight: 1, arbitrary: rawCaseArb(routes) });
    let run = 0;
    // fc.check, not fc.assert: a counterexample holds 100 kB strings; the failures list below says what broke.
    const details = await fc.check(
      fc.asyncProperty(fc.array(caseArb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(batch.map((c) => send(tally, c)));
        if (++run % 50 === 0) {
          const live = await app.client.get(HEALTH);
          if (live.status !== 200) tally.failures.push(`liveness answered ${live.status} after ${tally.requests} requests`);
        }
        return tally.failures.length === 0;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    if (details.failed) {
      note(this, `replay with FUZZ_SEED=${SEED} (fast-check path ${details.counterexamplePath ?? "?"})`);
      for (const line of errorLogs.slice(0, 3)) console.log(`      server log: ${line.slice(0, 1500)}`);
    }

    const statuses = [...tally.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ");
    const perRoute = [...tally.byRoute.values()];
    note(this, `${tally.requests} requests (${tally.raw} raw), seed ${SEED}; statuses ${statuses}`);
    note(this, `${routes.length} routes, ${Math.min(...perRoute)}–${Math.max(...perRoute)} requests each; ${tally.rawClosedWithoutAnswer} raw requests closed without an answer`);
    expect(tally.failures.slice(0, 20), `${tally.failures.length} failures`).to.deep.equal([]);
    expect(tally.requests).to.be.at.least(5_000);
    for (const route of routes) expect(tally.byRoute.get(`${route.method.toUpperCase()} ${route.path}`) ?? 0, route.path).to.be.greaterThan(20);

    // Still serving, nothing logged as an unhandled error, no stray rejection.
    expect((await app.client.get(HEALTH)).status).to.equal(200);
    expect((await app.client.get(`${HEALTH}/detailed`)).status).to.equal(200);
    expect(errorLogs.filter((l) => /unhandled error/.test(l)).slice(0, 5)).to.deep.equal([]);
    const clientErrors = errorLogs.filter((l) => /outside a request/.test(l));
    if (clientErrors.length > 0) {
      const codes = [...new Set(clientErrors.map((l) => /"code":"(\w+)"/.exec(l)?.[1] ?? "?"))].join(", ");
      note(this, `${clientErrors.length} malformed requests logged at level error as "koa error outside a request" (${codes}); answered, no crash`);
    }
    expect(unhandled).to.deep.equal([]);

    // The users table: pre-existing rows untouched (the fuzz users may have renamed themselves
    // through PATCH /profile), the canary byte for byte, and new rows only for 201 sign-ups.
    const after = await usersSnapshot();
    const touchable = new Set(fuzzUsers.map((u) => u.id));
    const changed = [...before].filter(([id, row]) => !touchable.has(id) && after.get(id) !== row).map(([id]) => id);
    expect(changed, "pre-existing rows changed or deleted").to.deep.equal([]);
    expect(after.get(canary.id)).to.equal(before.get(canary.id));
    const added = [...after].filter(([id]) => !before.has(id)).map(([, row]) => JSON.parse(row) as Record<string, unknown>);
    const addedEmails = new Set(added.map((r) => String(r.email_normalized)));
    expect([...addedEmails].filter((e) => !tally.created201.has(e)), "rows not explained by a 201 sign-up").to.deep.equal([]);
    expect(added.filter((r) => r.role !== "user" || r.is_email_verified !== false)).to.deep.equal([]);
    const stored = added.find((r) => r.email_normalized === bobby);
    expect(stored?.name).to.equal("Robert'); DROP TABLE users;--");
    note(this, `users: ${before.size} rows before, ${after.size} after (${added.length} from 201 sign-ups), canary unchanged`);
  });

  it("a body over the limit answers 413 on every JSON route, before anything else reads it", async function () {
    let tried = 0;
    for (const route of app.ctx.app.routeSpecs.filter((r) => r.body)) {
      const session = await mintSession(app, fuzzUsers[0]!);
      const body = Buffer.from(`{"email":"${"a".repeat(JSON_LIMIT + 10)}"}`);
      const res = await app.client.request(route.method.toUpperCase(), route.path.replace(/:(\w+)/g, session.sessionId), {
        headers: { "content-type": "application/json", authorization: `Bearer ${session.accessToken}` },
        body,
      });
      tried++;
      expect(res.status, `${route.method} ${route.path}: ${res.text.slice(0, 200)}`).to.equal(413);
      expect(res.body.code).to.be.a("string");
    }
    note(this, `${tried} JSON routes refused ${JSON_LIMIT + 24}-byte bodies with 413`);
  });
});
