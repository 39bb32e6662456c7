import { Pool } from 'undici';
import type { BrokerEndpoint } from '../config/load-config.js';
import { BrokerError, socketReason } from './broker-errors.js';
import { readTlsFiles } from './tls-files.js';

export interface ManagementEndpoint extends BrokerEndpoint {
  basePath: string;
}

/** Server-side paging and filtering of the management API's list endpoints. */
export interface PageQuery {
  page?: number;
  pageSize?: number;
  /** Matches the object name: a substring, or a regular expression when useRegex. */
  name?: string;
  useRegex?: boolean;
  sort?: string;
  sortReverse?: boolean;
  /** Trims each item to these fields (dotted paths allowed, e.g. message_stats.publish_details.rate). */
  columns?: readonly string[];
}

export interface Page<T> {
  items: T[];
  page: number;
  pageCount: number;
  pageSize: number;
  filteredCount: number;
  totalCount: number;
}

export const MAX_PAGE_SIZE = 500;

const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The message for a 404, naming what is missing ("queue 'x' in vhost '/' not found"). */
  notFound?: string;
  /** Statuses returned as a result rather than thrown (the health checks answer 503 with a body). */
  acceptStatus?: readonly number[];
  timeoutMs?: number;
}

export interface Response<T> {
  status: number;
  body: T;
}

/**
 * Builds an API path from segments, encoding each one: vhost "/" becomes %2F, and names with
 * spaces, slashes or unicode are safe. `apiPath('queues', vhost, name)` → `/api/queues/%2F/orders`.
 */
export function apiPath(...segments: readonly string[]): string {
  return `/api/${segments.map((segment) => encodeURIComponent(segment)).join('/')}`;
}

/** The RabbitMQ management HTTP API over one keep-alive connection pool. */
export class ManagementClient {
  readonly baseUrl: string;
  #pool: Pool;
  #authorization: string;
  #user: string;
  #basePath: string;
  #timeoutMs: number;

  constructor(options: { endpoint: ManagementEndpoint; timeoutMs: number }) {
    const { endpoint, timeoutMs } = options;
    const scheme = endpoint.tls ? 'https' : 'http';
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    const origin = `${scheme}://${host}:${endpoint.port}`;
    this.baseUrl = `${origin}${endpoint.basePath}`;
    this.#basePath = endpoint.basePath;
    this.#timeoutMs = timeoutMs;
    this.#user = endpoint.user;
    this.#authorization = `Basic ${Buffer.from(`${endpoint.user}:${endpoint.password}`).toString('base64')}`;
    const tls = endpoint.tls ? readTlsFiles(endpoint.tls) : undefined;
    this.#pool = new Pool(origin, {
      connections: 8,
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(timeoutMs, 10_000), ...(tls ?? {}) },
    });
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options).then((response) => response.body);
  }

  put(path: string, body: unknown, options: RequestOptions = {}): Promise<void> {
    return this.request('PUT', path, { ...options, body }).then(() => undefined);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body }).then((response) => response.body);
  }

  delete(path: string, options: RequestOptions = {}): Promise<void> {
    return this.request('DELETE', path, options).then(() => undefined);
  }

  /** One page of a list endpoint, filtered and sorted by the broker. */
  async getPage<T>(path: string, query: PageQuery, options: RequestOptions = {}): Promise<Page<T>> {
    const pageSize = Math.min(query.pageSize ?? 100, MAX_PAGE_SIZE);
    const raw = await this.get<{
      items: T[];
      page: number;
      page_count: number;
      page_size: number;
      filtered_count: number;
      total_count: number;
    }>(path, {
      ...options,
      query: {
        page: query.page ?? 1,
        page_size: pageSize,
        name: query.name || undefined,
        use_regex: query.name && query.useRegex ? 'true' : undefined,
        sort: query.sort,
        sort_reverse: query.sort ? String(Boolean(query.sortReverse)) : undefined,
        columns: query.columns?.join(','),
        ...options.query,
      },
    });
    return {
      items: raw.items,
      page: raw.page,
      pageCount: raw.page_count,
      pageSize: raw.page_size,
      filteredCount: raw.filtered_count,
      totalCount: raw.total_count,
    };
  }

  /** Every item of a list endpoint, fetched page by page (for summaries across a vhost). */
  async getAll<T>(path: string, query: Omit<PageQuery, 'page' | 'pageSize'>, limit = 100_000): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const result = await this.getPage<T>(path, { ...query, page, pageSize: MAX_PAGE_SIZE });
      items.push(...result.items);
      if (page >= result.pageCount || items.length >= limit) return items;
    }
  }

  async request<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, options: RequestOptions = {}): Promise<Response<T>> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) search.set(key, String(value));
    const fullPath = `${this.#basePath}${path}${search.size > 0 ? `?${search}` : ''}`;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const what = `${method} ${path}`;
    let response: Awaited<ReturnType<Pool['request']>>;
    const send = () =>
      this.#pool.request({
        method,
        path: fullPath,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    try {
      response = await send().catch((error: unknown) => {
        // A kept-alive socket the broker (or a proxy) closed while idle: a GET is safe to send again.
        if (method === 'GET' && STALE_SOCKET.has(String((error as { code?: string }).code))) return send();
        throw error;
      });
    } catch (error) {
      throw this.#connectionError(error, what, timeoutMs);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw this.#connectionError(error, what, timeoutMs);
    }
    const body = parseJson(text);
    const status = response.statusCode;
    if ((status >= 200 && status < 300) || options.acceptStatus?.includes(status)) return { status, body: body as T };
    throw this.#httpError(status, body, text, what, options.notFound);
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => undefined);
  }

  #connectionError(error: unknown, what: string, timeoutMs: number): BrokerError {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError' || /Timeout/.test(String((error as { code?: string }).code))) {
      return new BrokerError('timeout', `management API at ${this.baseUrl} did not answer ${what} within ${timeoutMs / 1000}s`);
    }
    const reason = socketReason(error);
    const hint =
      reason === 'connection refused'
        ? '; is the management plugin enabled (rabbitmq-plugins enable rabbitmq_management) and HTTP_PORT right?'
        : '';
    return new BrokerError('unreachable', `management API unreachable at ${this.baseUrl} (${reason})${hint}`);
  }

  #httpError(status: number, body: unknown, text: string, what: string, notFound?: string): BrokerError {
    const reason = brokerReason(body) ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    switch (status) {
      case 401:
        return new BrokerError(
          'credentials',
          `the management API rejected the login of user '${this.#user}' (401): check AMQP_USER and AMQP_PASSWORD`,
          status,
        );
      case 403:
        return new BrokerError(
          'forbidden',
          `user '${this.#user}' may not ${what} (403: ${reason}); it needs the right user tag (monitoring, policymaker or administrator) or vhost permissions`,
          status,
        );
      case 404:
        return new BrokerError('not_found', notFound ?? `not found: ${what} (${reason})`, status);
      case 400:
        if (/page out of range/i.test(reason))
          return new BrokerError('invalid', 'that page is past the last one; start again from page 1', status);
        return new BrokerError('invalid', `the broker rejected ${what}: ${reason}`, status);
      case 405:
        return new BrokerError('invalid', `the broker does not allow ${what} (405: ${reason})`, status);
      default:
        return new BrokerError('broker', `management API error ${status} on ${what}: ${reason}`, status);
    }
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function brokerReason(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const { reason, error } = body as { reason?: unknown; error?: unknown };
    if (typeof reason === 'string') return reason;
    if (typeof error === 'string') return error;
  }
  return undefined;
}
