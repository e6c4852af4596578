import { createHash } from "node:crypto";
import type { ErrorCodeRow, Json, OpenApiDocument } from "./openapi.js";

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;background:#f7f8fa}
header,main{max-width:1000px;margin:0 auto;padding:0 20px}
header{padding-top:24px}h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #d8dde5}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#fff;border:1px solid #d8dde5;padding:10px;overflow:auto}
details{background:#fff;border:1px solid #d8dde5;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:8px 12px}details>div{padding:0 12px 12px}
.m{display:inline-block;min-width:64px;font-weight:700;text-transform:uppercase}
.get{color:#0b6bcb}.post{color:#18794e}.put{color:#a35200}.patch{color:#7c3aed}.delete{color:#c2261c}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d8dde5;padding:4px 8px;text-align:left;vertical-align:top}
.lock{color:#a35200;font-size:13px}
`;

/** The page carries no script and only this stylesheet, allowed by its hash. */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function operationHtml(path: string, method: string, op: Json): string {
  const parts: string[] = [];
  const security = op.security as unknown[] | undefined;
  if (op.description) for (const para of String(op.description).split("\n\n")) parts.push(`<p>${esc(para)}</p>`);
  if (security && security.length) parts.push(`<p class="lock">Requires a session: accessToken cookie or <code>Authorization: Bearer</code>.</p>`);
  const params = (op.parameters as Json[] | undefined) ?? [];
  if (params.length) parts.push(`<p>Path parameters: ${params.map((p) => `<code>${esc(p.name)}</code>`).join(", ")}</p>`);
  const body = op.requestBody as { required?: boolean; content: Record<string, { schema: unknown }> } | undefined;
  if (body) {
    for (const [type, media] of Object.entries(body.content))
      parts.push(`<p>Request body (${esc(type)}${body.required ? "" : ", optional"}):</p><pre>${esc(JSON.stringify(media.schema, null, 2))}</pre>`);
  }
  const rows = Object.entries(op.responses as Record<string, Json>).map(
    ([status, r]) => `<tr><td>${esc(status)}</td><td>${esc(r.description)}</td></tr>`,
  );
  parts.push(`<table><tr><th>status</th><th>meaning</th></tr>${rows.join("")}</table>`);
  return `<details id="${esc(op.operationId)}"><summary><span class="m ${esc(method)}">${esc(method)}</span> <code>${esc(path)}</code> — ${esc(op.summary)}</summary><div>${parts.join("")}</div></details>`;
}

/** A self-contained reference page (no CDN, no script): every operation by tag, then the error codes. */
export function renderDocsPage(doc: OpenApiDocument, specUrl: string): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(operationHtml(path, method, op));
    }
  }
  const errors = (doc["x-error-codes"] as ErrorCodeRow[] | undefined) ?? [];
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join("")}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)} API reference</title><style>${STYLE}</style></head>
<body><header><h1>${esc(doc.info.title)} API</h1><p>Version ${esc(doc.info.version)} · OpenAPI ${esc(doc.openapi)} document: <a href="${esc(specUrl)}">${esc(specUrl)}</a></p>
<p>Every answer is an envelope: <code>{success, message, statusCode, data?}</code>, or on failure <code>{success: false, message, statusCode, code, errors?}</code>.</p>
<nav>${[...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(" · ")} · <a href="#errors">error codes</a></nav></header>
<main>${sections.join("\n")}
<h2 id="errors">Error codes</h2><table><tr><th>code</th><th>status</th></tr>${errors.map((e) => `<tr><td><code>${esc(e.code)}</code></td><td>${e.status}</td></tr>`).join("")}</table>
</main></body></html>`;
}
