import type { Context } from "koa";

export type FieldErrors = Record<string, string[]>;

export interface SuccessBody {
  success: true;
  message: string;
  statusCode: number;
  data?: unknown;
}

export interface ErrorBody {
  success: false;
  message: string;
  statusCode: number;
  code: string;
  errors?: FieldErrors;
}

export function respond(ctx: Context, statusCode: number, message: string, data?: unknown): void {
  ctx.status = statusCode;
  const body: SuccessBody = { success: true, message, statusCode };
  if (data !== undefined) body.data = data;
  ctx.body = body;
}

export function errorBody(statusCode: number, code: string, message: string, errors?: FieldErrors): ErrorBody {
  const body: ErrorBody = { success: false, message, statusCode, code };
  if (errors) body.errors = errors;
  return body;
}
