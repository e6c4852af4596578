import { createHash } from "node:crypto";
import { expect } from "chai";
import type Router from "@koa/router";
import * as v from "valibot";
import { respond } from "../../src/adapters/http/envelope.js";
import { DOMAIN_ERROR_STATUS, HTTP_ERROR_CODES } from "../../src/adapters/http/error-codes.js";
import { toOpenApiPath } from "../../src/adapters/http/openapi.js";
import { route } from "../../src/adapters/http/route-spec.js";
import { DOMAIN_ERROR_CODES } from "../../src/domain/errors.js";
import { FEATURES, type Feature } from "../../src/infrastructure/features/index.js";
import { startTestApp, type TestApp } from "../support/http-harness.js";

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Record<string, unknown> & { responses: Record<string, Record<string, unknown>> }>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
};

const LATE_PATH = "/api/v1/late-feature/items/:itemId";

/** A feature installed after the edge feature, as another engineer's would be. */
const lateFeature: Feature = {
  name: "late-test-feature",
  async install() {
    return {
      modules: [
        {
          routes: () => [
            route({ method: "put", path: LATE_PATH, tag: "late", auth: "access", summary: "A route from a later feature",
              body: v.object({ label: v.pipe(v.string(), v.maxLength(20)) }), responses: { 200: "Stored" },
              handler: async (ctx) => respond(ctx, 200, "ok") }),
          ],
        },
      ],
    };
  },
};

function routerOf(app: TestApp): Router {
  const dispatch = app.ctx.app.middleware.find((mw) => (mw as { router?: Router }).router);
  expect(dispatch, "the router's dispatch middleware").to.exist;
  return (dispatch as unknown as { router: Router }).router;
}

describe("OpenAPI document and reference page", () => {
  let app: TestApp;
  let doc: Doc;

  before(async () => {
    FEATURES.push(lateFeature);
    try {
      app = await startTestApp("memory");
    } finally {
      FEATURES.splice(FEATURES.indexOf(lateFeature), 1);
    }
    const res = await app.request.get("/api/openapi.json").expect(200);
    expect(res.headers["content-type"]).to.match(/^application\/json/);
    doc = res.body as Doc;
  });
  after(async () => app?.close());

  it("is an OpenAPI 3.1 document, not an envelope", () => {
    expect(doc.openapi).to.equal("3.1.0");
    expect(doc).to.not.have.property("success");
    expect(doc.info.title).to.be.a("string").and.not.empty;
    expect(doc.info.version).to.be.a("string").and.not.empty;
    expect(doc.components.schemas).to.include.keys("SuccessEnvelope", "ErrorEnvelope", "ErrorCode");
    expect(doc.components.securitySchemes).to.include.keys("cookieAuth", "bearerAuth");
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path).to.match(/^\/[^:]*$/, "path params are {name}, not :name");
      for (const op of Object.values(ops)) {
        expect(op.operationId).to.be.a("string");
        expect(Object.keys(op.responses)).to.not.be.empty;
      }
    }
  });

  it("lists every route the router serves, those of later features and its own included", () => {
    const documented = (method: string, path: string) => !!doc.paths[toOpenApiPath(path).path]?.[method.toLowerCase()];
    for (const spec of app.ctx.app.routeSpecs) expect(documented(spec.method, spec.path), `${spec.method} ${spec.path}`).to.equal(true);
    const layers = routerOf(app).stack.flatMap((layer) => layer.methods.filter((m) => m !== "HEAD").map((m) => [m, layer.path] as const));
    expect(layers.length).to.equal(app.ctx.app.routeSpecs.length);
    for (const [method, path] of layers) expect(documented(method, String(path)), `${method} ${String(path)}`).to.equal(true);
    for (const path of ["/api/openapi.json", "/api/docs", "/api/v1/auth/signup", "/api/v1/health/detailed"]) expect(doc.paths).to.have.property(path);
    const late = doc.paths["/api/v1/late-feature/items/{itemId}"]?.put;
    expect(late?.parameters).to.deep.equal([{ name: "itemId", in: "path", required: true, schema: { type: "string" } }]);
  });

  it("describes bodies from the valibot schemas, security, declared responses and rate limits", () => {
    const signup = doc.paths["/api/v1/auth/signup"]!.post!;
    const body = signup.requestBody as { required: boolean; content: Record<string, { schema: { properties: Record<string, { type: string; maxLength?: number }>; required: string[] } }> };
    expect(body.required).to.equal(true);
    const schema = body.content["application/json"]!.schema;
    expect(schema.required).to.have.members(["name", "email", "password", "confirmPassword"]);
    expect(schema.properties.email).to.include({ type: "string", maxLength: 254 });
    expect(signup.security).to.deep.equal([]);
    expect(signup.responses).to.have.property("201");
    expect((signup.responses["201"]!.content as Record<string, { schema: unknown }>)["application/json"]!.schema).to.deep.equal({ $ref: "#/components/schemas/SuccessEnvelope" });
    const limited = signup.responses["429"]!;
    expect(limited.headers).to.include.keys("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset");
    expect(signup["x-rate-limit"]).to.include({ name: "signup" });

    const sessions = doc.paths["/api/v1/auth/sessions"]!.get!;
    expect(sessions.security).to.deep.equal([{ cookieAuth: [] }, { bearerAuth: [] }]);
    expect(sessions.responses).to.have.property("401");
    expect(sessions).to.not.have.property("x-rate-limit");

    const refresh = doc.paths["/api/v1/auth/refresh-token"]!.post!;
    expect((refresh.requestBody as { required: boolean }).required).to.equal(false);
  });

  it("lists every error code with its status", () => {
    const codes = doc.components.schemas.ErrorCode as { enum: string[]; "x-status": Record<string, number> };
    for (const code of DOMAIN_ERROR_CODES) expect(codes["x-status"][code], code).to.equal(DOMAIN_ERROR_STATUS[code]);
    for (const [status, code] of Object.entries(HTTP_ERROR_CODES)) expect(codes["x-status"][code], code).to.equal(Number(status));
    expect(codes.enum).to.include.members(["MALFORMED_JSON", "RATE_LIMITED", "CSRF_REJECTED"]);
  });

  it("every $ref points at something in the document", () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object")
        for (const [k, val] of Object.entries(node)) k === "$ref" && typeof val === "string" ? refs.push(val) : walk(val);
    };
    walk(doc);
    expect(refs).to.not.be.empty;
    for (const ref of refs) {
      const target = ref.replace(/^#\//, "").split("/").reduce<unknown>((n, key) => (n as Record<string, unknown> | undefined)?.[key], doc);
      expect(target, ref).to.exist;
    }
  });

  it("/api/docs is a self-contained page listing every operation, with a CSP that allows only its own stylesheet", async () => {
    const res = await app.request.get("/api/docs").expect(200);
    expect(res.headers["content-type"]).to.match(/^text\/html/);
    const html = res.text;
    for (const spec of app.ctx.app.routeSpecs) expect(html, spec.path).to.include(toOpenApiPath(spec.path).path);
    expect(html).to.include("RATE_LIMITED");
    expect(html).to.not.match(/<script|<link|src=|https?:\/\/(?!localhost)/i);
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).to.include("default-src 'none'");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).to.include(`'sha256-${createHash("sha256").update(style).digest("base64")}'`);
    // A document gets helmet's document headers too (opener isolation, no DNS prefetch, ...).
    expect(res.headers).to.include({ "cross-origin-opener-policy": "same-origin", "origin-agent-cluster": "?1", "x-dns-prefetch-control": "off", "x-xss-protection": "0" });
    expect(res.headers["cache-control"]).to.equal("no-cache");
    // Everything else keeps the JSON API policy.
    const health = await app.request.get("/api/v1/health").expect(200);
    expect(health.headers["content-security-policy"]).to.not.include("style-src");
    expect(health.headers).to.not.have.property("cross-origin-opener-policy");
  });
});
