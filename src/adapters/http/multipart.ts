import type { Socket } from "node:net";
import busboy from "busboy";
import type { Context } from "koa";
import { PayloadTooLargeError, ValidationError, type DomainError } from "../../domain/errors.js";
import { HttpProblem } from "./error-codes.js";

export interface MultipartLimits {
  /** Largest accepted file; one byte more is a 413. */
  maxFileBytes: number;
  /** The only file field accepted. */
  fileField: string;
  /** The only text fields accepted. */
  fields: readonly string[];
  /** Largest text field value, bytes. */
  maxFieldBytes?: number;
}

export interface UploadedFile {
  bytes: Buffer;
  /** What the client claimed; never trusted (see image-sniffer.ts). */
  declaredType: string;
  filename: string;
}

export interface MultipartForm {
  fields: Record<string, string>;
  file: UploadedFile | null;
}

/** Room for boundaries, part headers and the text fields around the file. */
const ENVELOPE_BYTES = 64 * 1024;
/** After refusing an upload, how long the client gets to read the answer before the socket goes. */
const CLOSE_GRACE_MS = 1000;

/**
 * Streams a multipart body through busboy and keeps at most one file of at most maxFileBytes in
 * memory. Every refusal (too large, a second file, an unknown field, a malformed body) stops
 * reading at once: the rest of the upload is never pulled off the wire.
 */
export function readMultipart(ctx: Context, limits: MultipartLimits): Promise<MultipartForm> {
  const req = ctx.req;
  const maxBodyBytes = limits.maxFileBytes + ENVELOPE_BYTES;
  const declaredLength = Number(ctx.get("Content-Length") || Number.NaN);
  if (declaredLength > maxBodyBytes) {
    stopReading(ctx);
    return Promise.reject(new PayloadTooLargeError(tooLargeMessage(limits.maxFileBytes)));
  }

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // busboy fires "limit" on *reaching* fileSize and partsLimit on *reaching* parts, but the
      // fields/files limits on exceeding them. One past each allowance keeps an exact-size file
      // acceptable, and lets an unknown or repeated field reach the handlers below, which name it.
      limits: {
        fileSize: limits.maxFileBytes + 1,
        files: 1,
        fields: limits.fields.length + 1,
        parts: limits.fields.length + 3,
        fieldSize: limits.maxFieldBytes ?? 4096,
        headerPairs: 20,
      },
    });
  } catch {
    return Promise.reject(new HttpProblem(400, "BAD_REQUEST", "Malformed multipart/form-data (boundary missing)"));
  }

  return new Promise<MultipartForm>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: UploadedFile | null = null;
    let received = 0;
    let settled = false;

    const cleanup = () => {
      req.off("data", count);
      req.off("aborted", onAborted);
      req.off("error", onAborted);
      req.unpipe(parser);
      // busboy may still emit "error" for the half-read form; nobody is listening for it any more.
      parser.removeAllListeners();
      parser.on("error", () => undefined);
    };
    const fail = (err: DomainError | HttpProblem) => {
      if (settled) return;
      settled = true;
      cleanup();
      stopReading(ctx);
      reject(err);
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      // Chunked uploads declare no length; padding outside the file part is bounded here.
      if (received > maxBodyBytes) fail(new PayloadTooLargeError(tooLargeMessage(limits.maxFileBytes)));
    };
    const onAborted = () => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(new HttpProblem(400, "BAD_REQUEST", "The upload was interrupted"));
    };
    const unknownField = (name: string) =>
      fail(ValidationError.field(name || "body", `Unknown field; accepted: ${[...limits.fields, limits.fileField].join(", ")}`));

    parser.on("file", (name, stream, info) => {
      if (name !== limits.fileField) {
        stream.resume();
        return unknownField(name);
      }
      if (file) {
        stream.resume();
        return fail(ValidationError.field(limits.fileField, "Send one file only"));
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => fail(new PayloadTooLargeError(tooLargeMessage(limits.maxFileBytes))));
      stream.on("end", () => {
        if (settled || stream.truncated) return;
        const bytes = Buffer.concat(chunks);
        // Browsers send an empty part for a file input left blank: that is "no file", not a bad one.
        if (bytes.length === 0 && !info.filename) return;
        file = { bytes, declaredType: info.mimeType, filename: info.filename ?? "" };
      });
    });
    parser.on("field", (name, value, info) => {
      if (!limits.fields.includes(name)) return unknownField(name);
      if (name in fields) return fail(ValidationError.field(name, "Send this field once"));
      if (info.valueTruncated) return fail(ValidationError.field(name, "Too long"));
      fields[name] = value;
    });
    parser.on("filesLimit", () => fail(ValidationError.field(limits.fileField, "Send one file only")));
    parser.on("fieldsLimit", () => fail(ValidationError.field("body", "Too many fields")));
    parser.on("partsLimit", () => fail(ValidationError.field("body", "Too many parts")));
    parser.on("error", () => fail(new HttpProblem(400, "BAD_REQUEST", "Malformed multipart/form-data body")));
    parser.on("close", () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ fields, file });
    });

    req.on("data", count);
    req.once("aborted", onAborted);
    req.once("error", onAborted);
    req.pipe(parser);
  });
}

function tooLargeMessage(maxFileBytes: number): string {
  const mib = maxFileBytes / (1024 * 1024);
  return `The file must be at most ${Number.isInteger(mib) ? `${mib} MiB` : `${maxFileBytes} bytes`}`;
}

/**
 * Stops pulling the request body off the wire and answers with `Connection: close`. Node closes
 * such a socket the moment the response is flushed; with unread upload bytes still arriving, that
 * close becomes a TCP reset, which can destroy the answer before the client reads it (the client
 * sees EPIPE instead of a 413). So the socket is half-closed once the response is out and only
 * destroyed after a short grace: the client reads the answer, the rest of its upload is never read.
 */
function stopReading(ctx: Context): void {
  const req = ctx.req;
  if (req.complete) return;
  req.pause();
  ctx.set("Connection", "close");
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };
}
