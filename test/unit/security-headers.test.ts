import { expect } from "chai";
import Koa from "koa";
import helmet from "koa-helmet";
import supertest from "supertest";
import { securityHeaderOptions } from "../../src/adapters/http/app.js";
import { securityHeaderWriter } from "../../src/adapters/http/middleware/security-headers.middleware.js";

function securityHeadersMiddleware(options: Parameters<typeof securityHeaderWriter>[0]): Koa.Middleware {
  const write = securityHeaderWriter(options);
  return (ctx, next) => {
    write(ctx.res);
    return next();
  };
}

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

describe("securityHeaderWriter", () => {
  const variants = {
    "the app's settings in production (HSTS on)": securityHeaderOptions({ nodeEnv: "production" }),
    "the app's settings in development (HSTS off)": securityHeaderOptions({ nodeEnv: "development" }),
    "the app's settings for its HTML page": securityHeaderOptions({ nodeEnv: "development" }, "document"),
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

  it("for the API: nothing may be framed, embedded, sniffed or read cross-site, and production forces HTTPS", async () => {
    const headers = await headersOf(securityHeadersMiddleware(securityHeaderOptions({ nodeEnv: "production" })));
    const { "content-type": _type, "content-length": _length, connection: _c, "keep-alive": _k, ...security } = headers;
    expect(security).to.deep.equal({
      "content-security-policy": "default-src 'none';frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "cross-origin-resource-policy": "same-site",
      "referrer-policy": "no-referrer",
      "strict-transport-security": security["strict-transport-security"],
    });
    expect(security["strict-transport-security"]).to.match(/^max-age=\d+/);
    expect(await headersOf(securityHeadersMiddleware(securityHeaderOptions({ nodeEnv: "development" }))))
      .to.not.have.property("strict-transport-security");
  });

  it("for the HTML page: helmet's whole default set, HSTS only in production", async () => {
    const production = await headersOf(securityHeadersMiddleware(securityHeaderOptions({ nodeEnv: "production" }, "document")));
    expect(production).to.deep.equal(await headersOf(helmet()));
    const development = await headersOf(securityHeadersMiddleware(securityHeaderOptions({ nodeEnv: "development" }, "document")));
    expect(development).to.deep.equal(await headersOf(helmet({ hsts: false })));
  });
});
