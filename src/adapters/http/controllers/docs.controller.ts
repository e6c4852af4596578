import type { Context } from "koa";
import { inject, injectable } from "tsyringe";
import type { AuthSettings } from "../../../application/settings.js";
import { TOKENS } from "../../../application/tokens.js";
import { securityHeaderOptions } from "../app.js";
import { DOCS_PAGE_CSP, renderDocsPage } from "../docs-page.js";
import type { HttpSettings } from "../http-settings.js";
import { APP_VERSION, HTTP_SETTINGS } from "../http-tokens.js";
import { buildOpenApiDocument, type OpenApiDocument } from "../openapi.js";
import { securityHeaderWriter } from "../middleware/security-headers.middleware.js";
import { RATE_LIMITER, type RateLimiter } from "../rate-limits.js";
import { route, type HttpModule, type RouteSpec } from "../route-spec.js";

export const OPENAPI_PATH = "/api/openapi.json";
export const DOCS_PATH = "/api/docs";

interface Rendered {
  document: OpenApiDocument;
  html: string;
}

/**
 * The API reference. Built on first request from the app's final route list (see appRoutes),
 * so routes installed by any feature, these two included, are documented without a list here.
 */
@injectable()
export class DocsController implements HttpModule {
  private readonly cache = new WeakMap<RouteSpec[], Rendered>();
  /**
   * The app's final route list, handed over when the app is built. Not ctx.app.routeSpecs:
   * mounted inside another Koa app (koa-mount), ctx.app is the parent.
   */
  private specs: RouteSpec[] = [];
  /** helmet's whole set for a document, over the JSON-API set every answer already carries. */
  private readonly writeDocumentHeaders: ReturnType<typeof securityHeaderWriter>;

  appRoutes(specs: RouteSpec[]): void {
    this.specs = specs;
  }

  constructor(
    @inject(APP_VERSION) private readonly version: string,
    @inject(TOKENS.AuthSettings) private readonly settings: AuthSettings,
    @inject(RATE_LIMITER) private readonly limiter: Pick<RateLimiter, "budgetOf">,
    @inject(HTTP_SETTINGS) private readonly http: Pick<HttpSettings, "basePath" | "nodeEnv">,
  ) {
    this.writeDocumentHeaders = securityHeaderWriter(securityHeaderOptions(http, "document"));
  }

  routes(): RouteSpec[] {
    return [
      route({ method: "get", path: OPENAPI_PATH, tag: "docs", auth: "none", handler: this.openapi,
        summary: "This API as an OpenAPI 3.1 document", description: "The document itself, not an envelope.",
        responses: { 200: "The OpenAPI document" } }),
      route({ method: "get", path: DOCS_PATH, tag: "docs", auth: "none", handler: this.page,
        summary: "Human-readable API reference (HTML)", responses: { 200: "An HTML page" } }),
    ];
  }

  openapi = async (ctx: Context): Promise<void> => {
    ctx.set("Cache-Control", "no-cache");
    ctx.body = this.render().document;
  };

  page = async (ctx: Context): Promise<void> => {
    // The only HTML this API serves: the JSON-API policy (default-src 'none') would block its
    // stylesheet, so this response allows exactly that stylesheet by hash, and nothing else.
    this.writeDocumentHeaders(ctx.res);
    ctx.set("Content-Security-Policy", DOCS_PAGE_CSP);
    ctx.set("Cache-Control", "no-cache");
    ctx.type = "text/html; charset=utf-8";
    ctx.body = this.render().html;
  };

  private render(): Rendered {
    const specs = this.specs;
    const cached = this.cache.get(specs);
    if (cached) return cached;
    const document = buildOpenApiDocument(specs, {
      title: this.settings.appName,
      version: this.version,
      description: "Email + password and OAuth authentication with cookie or bearer sessions.",
      rateLimitOf: (spec) => this.limiter.budgetOf(spec),
      basePath: this.http.basePath ?? "",
    });
    // These two answer with the document and a page, not with envelopes.
    const json = document.paths[OPENAPI_PATH]?.get;
    if (json) json.responses["200"] = { description: "The OpenAPI document", content: { "application/json": { schema: { type: "object" } } } };
    const html = document.paths[DOCS_PATH]?.get;
    if (html) html.responses["200"] = { description: "An HTML page", content: { "text/html": { schema: { type: "string" } } } };
    const rendered = { document, html: renderDocsPage(document, `${this.http.basePath ?? ""}${OPENAPI_PATH}`) };
    this.cache.set(specs, rendered);
    return rendered;
  }
}
