import { expect } from "chai";
import Koa from "koa";
import helmet from "koa-helmet";
import supertest from "supertest";
import { securityHeaderOptions } from "../../src/adapters/http/app.js";
import { securityHeadersMiddleware } from "../../src/adapters/http/middleware/security-headers.middleware.js";

async function headersOf(middleware: Koa.Middleware, status = 200): Promise<Record<string, string>> {
  const app = new Koa();
  app.use(middleware);
  app.use((ctx) => {
    ctx.status = status;
    ctx.body = { ok: status < 400 };
  });
  const res = await supertest(app.callback()).get("/x");
  const { date: _date, ...rest } = res.headers as Record<string, string>;
  return rest;
}

describe("securityHeadersMiddleware", () => {
  const variants = {
    "the app's settings in production (HSTS on)": securityHeaderOptions({ nodeEnv: "production" }),
    "the app's settings in development (HSTS off)": securityHeaderOptions({ nodeEnv: "development" }),
    "helmet's defaults": {},
  };
  for (const [title, options] of Object.entries(variants)) {
    it(`answers with exactly the headers koa-helmet sets: ${title}`, async () => {
      const expected = await headersOf(helmet(options));
      expect(await headersOf(securityHeadersMiddleware(options))).to.deep.equal(expected);
      expect(await headersOf(securityHeadersMiddleware(options), 404)).to.deep.equal(await headersOf(helmet(options), 404));
      expect(Object.keys(expected)).to.include.members(["x-content-type-options", "x-frame-options", "content-security-policy", "referrer-policy"]);
    });
  }

  it("for the API: nothing may be framed, embedded or executed, and production forces HTTPS", async () => {
    const headers = await headersOf(securityHeadersMiddleware(securityHeaderOptions({ nodeEnv: "production" })));
    expect(headers["content-security-policy"]).to.equal("default-src 'none';frame-ancestors 'none'");
    expect(headers).to.include({
      "x-content-type-options": "nosniff",
      "x-frame-options": "SAMEORIGIN",
      "cross-origin-resource-policy": "same-site",
      "cross-origin-opener-policy": "same-origin",
      "referrer-policy": "no-referrer",
    });
    expect(headers["strict-transport-security"]).to.match(/^max-age=\d+/);
  });
});
