/**
 * The console's only way to the app: same-origin fetches to /api/console/api (the API's routes behind a door that
 * takes Entra bearer tokens instead of function keys) with the signed-in user's bearer token (none
 * locally). Errors come back in the app's one model `{ error: { code, message, details } }` and surface as ApiError.
 */
export interface ErrorDetail {
  readonly path?: string;
  readonly message?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** zod-style `[{ path, message }]` details, when the API sent them. */
  fieldErrors(): ErrorDetail[] {
    return Array.isArray(this.details) ? (this.details as ErrorDetail[]).filter((d) => typeof d === 'object' && d !== null) : [];
  }
}

export type TokenSource = () => Promise<string | undefined>;

export interface Api {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  /** A GET whose body is read whatever the status (health answers 503 with its report). */
  probe<T>(path: string, signal?: AbortSignal): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  upload<T>(path: string, file: Blob, signal?: AbortSignal): Promise<T>;
  download(path: string): Promise<Blob>;
}

export function createApi(token: TokenSource, base = '/api/console/api/'): Api {
  async function call(
    method: string,
    path: string,
    init: { body?: BodyInit; type?: string; signal?: AbortSignal; anyStatus?: boolean },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = await token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (init.type) headers['content-type'] = init.type;
    const res = await fetch(base + path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(init.body !== undefined && { body: init.body }),
      ...(init.signal && { signal: init.signal }),
    });
    if (!res.ok && !(init.anyStatus && res.headers.get('content-type')?.includes('json'))) throw await toApiError(res);
    return res;
  }
  const parse = async <T>(res: Response): Promise<T> => (res.status === 204 ? (undefined as T) : ((await res.json()) as T));
  return {
    get: async (path, signal) => parse(await call('GET', path, { ...(signal && { signal }) })),
    probe: async (path, signal) => parse(await call('GET', path, { anyStatus: true, ...(signal && { signal }) })),
    send: async (method, path, body, signal) =>
      parse(
        await call(method, path, {
          ...(body !== undefined && { body: JSON.stringify(body), type: 'application/json' }),
          ...(signal && { signal }),
        }),
      ),
    upload: async (path, file, signal) =>
      parse(await call('POST', path, { body: file, type: 'text/csv', ...(signal && { signal }) })),
    download: async (path) => (await call('GET', path, {})).blob(),
  };
}

async function toApiError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code)
      return new ApiError(res.status, body.error.code, body.error.message ?? body.error.code, body.error.details);
  } catch {
    // Not our error model (a proxy or the platform answered); fall through to the status line.
  }
  return new ApiError(res.status, `HTTP_${res.status}`, `The app answered ${res.status} ${res.statusText}`);
}

/** Where query strings are built from optional values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
