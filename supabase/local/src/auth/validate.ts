import type { IncomingMessage } from "node:http";
import { PayloadTooLargeError, readJson } from "../http.ts";
import { AuthHttpError, badRequest } from "./errors.ts";

/** A JSON object body, as GoTrue's retrieveRequestParams reads it. */
export type Params = Record<string, unknown>;

/**
 * Reads the request body as a JSON object (an empty body is `{}`), like GoTrue: bad JSON is a
 * 400 bad_json, a non-object body a 400 bad_json too.
 */
export async function readParams(req: IncomingMessage): Promise<Params> {
  let body: unknown;
  try {
    body = await readJson(req, 1024 * 1024);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw new AuthHttpError(413, "request_too_large", error.message);
    throw badRequest("bad_json", `Could not parse request body as JSON: ${(error as Error).message}`);
  }
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("bad_json", `Could not parse request body as JSON: expected an object, got ${Array.isArray(body) ? "an array" : typeof body}`);
  }
  return body as Params;
}

/** `params[key]` when it is a string, "" when absent or null; a 400 bad_json for other types. */
export function stringParam(params: Params, key: string): string {
  const value = params[key];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${key} must be a string, got ${typeof value}`);
  }
  return value;
}

/** `params[key]` when it is a JSON object, undefined when absent or null; else a 400 bad_json. */
export function objectParam(params: Params, key: string): Record<string, unknown> | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("bad_json", `Could not parse request body as JSON: ${key} must be an object`);
  }
  return value as Record<string, unknown>;
}

// The shape checkmail.ValidateFormat accepts, close enough: local@domain.tld, no spaces.
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/** GoTrue's validateEmail: required, at most 255 characters, valid format; returns it lower-cased. */
export function validateEmail(email: string): string {
  if (email === "") throw badRequest("validation_failed", "An email address is required");
  if (email.length > 255) throw badRequest("validation_failed", "An email address is too long");
  if (!EMAIL.test(email)) throw badRequest("validation_failed", "Unable to validate email address: invalid format");
  return email.toLowerCase();
}

/** GoTrue's validatePhone: E.164 digits without `+`, spaces or dashes. */
export function validatePhone(phone: string): string {
  const digits = phone.replace(/[\s\-()+]/g, "");
  if (!/^[1-9]\d{4,14}$/.test(digits)) {
    throw badRequest("validation_failed", "Invalid phone number format (E.164 required)");
  }
  return digits;
}
