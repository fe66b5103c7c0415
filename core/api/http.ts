import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe } from '../config/fields.js';

/** Request bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An answer other than 2xx: its status and the `{ message }` Clash dashboards show to the user. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `name: expected a string, got 5`, the same wording as profile errors. */
export function badField(field: string, expectation: string, got: unknown): ApiError {
  return new ApiError(400, `${field}: expected ${expectation}, got ${describe(got)}`);
}

export function notFound(what: string, name: string): ApiError {
  return new ApiError(404, `${what} ${JSON.stringify(name)} not found`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function noContent(res: ServerResponse): void {
  res.writeHead(204).end();
}

/**
 * Reads a JSON body of at most `limit` bytes. Undefined when the body is empty. A declared or actual size
 * over the limit is a 413; text that is not JSON is a 400 naming `body`.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const tooLarge = () => new ApiError(413, `body: larger than the ${limit} bytes allowed`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new ApiError(400, `body: expected JSON, ${(err as Error).message}`);
  }
}

/** The body as a JSON object (a mapping), or a 400 naming `body`. An empty body counts as `{}` when allowed. */
export async function readJsonObject(req: IncomingMessage, options: { allowEmpty?: boolean } = {}): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req);
  if (body === undefined && options.allowEmpty) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badField('body', 'a JSON object', body);
  return body as Record<string, unknown>;
}

/** An optional query parameter that must be an integer in [min, max] when present. */
export function queryInt(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || n < min || n > max) throw badField(name, `an integer ${min}-${max}`, raw);
  return n;
}

/** An optional query parameter that must be an http(s) URL when present. */
export function queryUrl(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badField(name, 'an http(s) URL', raw);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badField(name, 'an http(s) URL', raw);
  return raw;
}
