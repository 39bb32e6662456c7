import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { BrokerEndpoint } from '../config/load-config.js';
import { credentialsIn, maskCredentials } from './amqp-uri.js';
import { readApiPath } from './api-route.js';
import { BrokerError, socketFailure } from './broker-errors.js';
import { type ListPage, WALK_PAGE_SIZE, keyColumns, pageOfVisible } from './list-pages.js';
import { compileNameFilter, substringFilter } from './name-filter.js';
import { Scope, apiSegments, vhostOfApiPath } from './scope.js';
import { type Telemetry, noTelemetry } from '../telemetry/telemetry.js';
import { readTlsFiles } from './tls-files.js';
import { inQuotes } from './one-line.js';

export interface ManagementEndpoint extends BrokerEndpoint {
  basePath: string;
}

/** Paging and filtering of the management API's list endpoints (getPage). */
export interface PageQuery {
  page?: number;
  pageSize?: number;
  /**
   * Matches the object name, case-insensitively, as the management API's own filter does: a
   * substring, or a regular expression (RE2) when useRegex. Matched here, never by the broker.
   */
  name?: string;
  useRegex?: boolean;
  sort?: string;
  sortReverse?: boolean;
  /** Trims each item to these fields (dotted paths allowed, e.g. message_stats.publish_details.rate). */
  columns?: readonly string[];
}

export type Page<T> = ListPage<T>;

export const MAX_PAGE_SIZE = 500;

const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** Sockets kept open to the management API, per server. */
const MAX_SOCKETS = 8;

interface StaleSocket {
  staleSocket?: boolean;
}

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
  #endpoint: ManagementEndpoint;
  #agent: HttpAgent;
  #authorization: string;
  #timeoutMs: number;
  #telemetry: Telemetry;
  readonly scope: Scope;

  constructor(options: { endpoint: ManagementEndpoint; timeoutMs: number; telemetry?: Telemetry; scope?: Scope }) {
    const { endpoint, timeoutMs } = options;
    this.#telemetry = options.telemetry ?? noTelemetry;
    this.scope = options.scope ?? Scope.everything;
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    this.baseUrl = `${endpoint.tls ? 'https' : 'http'}://${host}:${endpoint.port}${endpoint.basePath}`;
    this.#endpoint = endpoint;
    this.#timeoutMs = timeoutMs;
    this.#authorization = `Basic ${Buffer.from(`${endpoint.user}:${endpoint.password}`).toString('base64')}`;
    // Node's own HTTP client with keep-alive: no extra parser to load and no WebAssembly heap,
    // which keeps start-up and resident memory small.
    this.#agent = endpoint.tls
      ? new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...readTlsFiles(endpoint.tls) })
      : new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
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

  /**
   * One page of a list endpoint. The broker pages it when nothing is hidden and there is no filter;
   * otherwise the page is cut here (pageOfVisible), after the scope, and the filter is matched here:
   * no caller's pattern reaches the broker, and no page or count depends on what the scope hides.
   */
  async getPage<T>(path: string, query: PageQuery, options: RequestOptions = {}): Promise<Page<T>> {
    const pageSize = query.pageSize ?? 100;
    const page = query.page ?? 1;
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new BrokerError('invalid', `page must be a whole number from 1, and page_size one from 1 to ${MAX_PAGE_SIZE}`);
    }
    if (!this.scope.active && !query.name) return this.#brokerPage<T>(path, { ...query, page, pageSize }, options);
    this.scope.checkPath(path, 'GET');
    const filter = query.name
      ? query.useRegex
        ? await compileNameFilter(query.name, { caseless: true })
        : substringFilter(query.name)
      : undefined;
    const [resource = ''] = apiSegments(path);
    return pageOfVisible<T>(
      async (walkPage, columns) => {
        const raw = await this.#brokerPage<T>(path, { page: walkPage, pageSize: WALK_PAGE_SIZE, columns }, options, Scope.everything);
        return { items: raw.items, pageCount: raw.pageCount };
      },
      resource,
      { page, pageSize, filter, sort: query.sort, sortReverse: query.sortReverse, columns: query.columns },
      (items) => this.scope.filterBody(path, items),
    );
  }

  /**
   * A page as the broker cuts it, with nothing of the caller's in it but the page, its size and a
   * sort column. Out of scope items are dropped (the counts are then the broker's: only getPage
   * with no scope answers with them); with a scope, the columns it judges by are fetched too.
   */
  async #brokerPage<T>(
    path: string,
    query: Omit<PageQuery, 'name' | 'useRegex'>,
    options: RequestOptions,
    scope: Scope = this.scope,
  ): Promise<Page<T>> {
    const pageSize = Math.min(query.pageSize ?? 100, MAX_PAGE_SIZE);
    this.scope.checkPath(path, 'GET');
    const [resource = ''] = apiSegments(path);
    const columns = query.columns && (this.scope.active ? [...new Set([...query.columns, ...keyColumns(resource)])] : query.columns);
    const raw = await this.#request<{
      items: T[];
      page: number;
      page_count: number;
      page_size: number;
      filtered_count: number;
      total_count: number;
    }>(
      'GET',
      path,
      {
        ...options,
        query: {
          ...options.query,
          page: query.page ?? 1,
          page_size: pageSize,
          sort: query.sort,
          sort_reverse: query.sort ? String(Boolean(query.sortReverse)) : undefined,
          columns: columns?.join(',') ?? options.query?.columns,
        },
      },
      Scope.everything,
    ).then((response) => response.body);
    return {
      items: scope.filterBody(path, raw.items),
      page: raw.page,
      pageCount: raw.page_count,
      pageSize: raw.page_size,
      filteredCount: raw.filtered_count,
      totalCount: raw.total_count,
    };
  }

  /** Every item of a list endpoint, fetched page by page (for summaries across a vhost). */
  async getAll<T>(
    path: string,
    query: Omit<PageQuery, 'page' | 'pageSize' | 'name' | 'useRegex'>,
    limit = 100_000,
    options: RequestOptions = {},
  ): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const result = await this.#brokerPage<T>(path, { ...query, page, pageSize: MAX_PAGE_SIZE }, options);
      items.push(...result.items);
      if (page >= result.pageCount || items.length >= limit) return items;
    }
  }

  /**
   * A request as a caller words it (the escape hatch). A GET's paging and name filter never reach
   * the broker: a page of a list is cut by getPage (in the broker's answer shape, counted after the
   * scope), and elsewhere they are dropped, as the broker ignores them there anyway.
   */
  request<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, options: RequestOptions = {}): Promise<Response<T>> {
    if (method === 'GET' && options.query && PAGING_PARAMETERS.some((key) => options.query?.[key] !== undefined)) {
      return this.#callerPage(path, options) as Promise<Response<T>>;
    }
    return this.#request<T>(method, path, options, this.scope);
  }

  async #callerPage(path: string, options: RequestOptions): Promise<Response<unknown>> {
    const { page, page_size: pageSize, name, use_regex: useRegex, sort, sort_reverse: sortReverse, ...rest } = options.query ?? {};
    if (page === undefined || !isListPath(path)) {
      return this.#request('GET', path, { ...options, query: { ...rest, sort, sort_reverse: sortReverse } }, this.scope);
    }
    const whole = (value: unknown) => (/^\+?\d{1,9}$/.test(String(value)) ? Number(value) : Number.NaN);
    const columns = typeof rest.columns === 'string' && rest.columns !== '' ? rest.columns.split(',') : undefined;
    const result = await this.getPage<unknown>(
      path,
      {
        page: whole(page),
        pageSize: pageSize === undefined ? 100 : whole(pageSize),
        name: name === undefined || name === '' ? undefined : String(name),
        useRegex: String(useRegex) === 'true',
        sort: sort === undefined || sort === '' ? undefined : String(sort),
        sortReverse: String(sortReverse) === 'true',
        columns,
      },
      { ...options, query: { ...rest, columns: undefined } },
    );
    return {
      status: 200,
      body: {
        filtered_count: result.filteredCount,
        item_count: result.items.length,
        items: result.items,
        page: result.page,
        page_count: result.pageCount,
        page_size: result.pageSize,
        total_count: result.totalCount,
        ...(result.walkedOnly !== undefined ? { walked_only: result.walkedOnly } : {}),
      },
    };
  }

  /**
   * A GET of everything the broker answers, out of scope included: for the server's own checks
   * of what a call would reach (a route into a hidden queue, a policy matching one). Its answer is
   * never shown to the caller.
   */
  getForScopeCheck<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.#request<T>('GET', path, options, Scope.everything).then((response) => response.body);
  }

  async #request<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, options: RequestOptions, scope: Scope): Promise<Response<T>> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) search.set(key, String(value));
    // The scope needs every object's vhost and name (and a binding's destination): whole objects.
    if (scope.active) search.delete('columns');
    const fullPath = `${this.#endpoint.basePath}${path}${search.size > 0 ? `?${search}` : ''}`;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const what = `${method} ${path}`;
    scope.checkPath(path, method);
    if (options.body !== undefined) scope.checkBody(path, options.body);
    const body = options.body !== undefined ? JSON.stringify(options.body) : undefined;
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
      ...options.headers,
    };
    let answer: { status: number; text: string };
    // Span names keep the resource and drop the object names: "GET /api/queues".
    const operation = `${method} ${path.split('/').slice(0, 3).join('/')}`;
    try {
      answer = await this.#telemetry.brokerRequest('http', operation, () =>
        this.#sendRetryingStale(method, fullPath, headers, body, timeoutMs),
      );
    } catch (error) {
      throw masked(this.#connectionError(error, what, timeoutMs), path, options.body);
    }
    const parsed = parseJson(answer.text);
    const { status } = answer;
    if ((status >= 200 && status < 300) || options.acceptStatus?.includes(status)) {
      return { status, body: (method === 'GET' ? scope.filterBody(path, parsed) : parsed) as T };
    }
    // The broker's messages repeat what a request carried (a shovel URI's password): masked like any answer.
    throw masked(this.#httpError(status, parsed, answer.text, what, options.notFound), path, options.body);
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }

  /**
   * A kept-alive socket the broker (or a proxy) closed while idle fails at once: a GET is safe to send
   * again. The pool may hold several such sockets (the broker closes idle ones together), so it tries
   * until a socket is fresh, at most once per pooled socket and once more.
   */
  async #sendRetryingStale(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#send(method, path, headers, body, timeoutMs);
      } catch (error) {
        if (method !== 'GET' || !(error as StaleSocket).staleSocket || attempt >= MAX_SOCKETS) throw error;
      }
    }
  }

  #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    const { host, port, tls } = this.#endpoint;
    return new Promise((resolve, reject) => {
      const request = (tls ? httpsRequest : httpRequest)(
        { host, port, method, path, headers, agent: this.#agent },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            clearTimeout(deadline);
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          response.on('error', reject);
        },
      );
      const deadline = setTimeout(() => request.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        if (request.reusedSocket && STALE_SOCKET.has(String(error.code))) Object.assign(error, { staleSocket: true });
        reject(error);
      });
      request.end(body);
    });
  }

  #connectionError(error: unknown, what: string, timeoutMs: number): BrokerError {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError') {
      return new BrokerError('timeout', `management API at ${this.baseUrl} did not answer ${what} within ${timeoutMs / 1000}s`, {
        service: 'management',
      });
    }
    const { code, reason } = socketFailure(error);
    return new BrokerError(code, `management API unreachable at ${this.baseUrl} (${reason})`, {
      service: 'management',
    });
  }

  #httpError(status: number, body: unknown, text: string, what: string, notFound?: string): BrokerError {
    const details = { status, service: 'management' } as const;
    const reason = brokerReason(body) ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    switch (status) {
      case 401:
        // The user logged in but has no permissions in the vhost the request names.
        if (/not authori[sz]ed to access virtual host/i.test(reason)) return this.#vhostDenied(what, details);
        // RabbitMQ answers 401 both for a failed login and for a user whose tags do not allow the call.
        if (!/login failed/i.test(reason) && /administrator|not_authorised|policymaker|monitoring/i.test(`${reason} ${text}`)) {
          return new BrokerError(
            'forbidden',
            `user ${inQuotes(this.#endpoint.user)} may not ${what} (${reason}); it needs the right user tag (monitoring, policymaker or administrator)`,
            details,
          );
        }
        return new BrokerError(
          'login_refused',
          `the management API rejected the login of user ${inQuotes(this.#endpoint.user)} (401)`,
          details,
        );
      case 403:
        return new BrokerError(
          'forbidden',
          `user ${inQuotes(this.#endpoint.user)} may not ${what} (403: ${reason}); it needs the right user tag (monitoring, policymaker or administrator) or vhost permissions`,
          details,
        );
      case 404:
        // RabbitMQ 4.3.3 and later answer that with 404 from their access check ("not_found"), where a
        // missing vhost or object is "Object Not Found" (rabbit_web_dispatch_access_control).
        if (isVhostAccessRefusal(body)) return this.#vhostDenied(what, details);
        return new BrokerError('not_found', notFound ?? `not found: ${what} (${reason})`, details);
      case 400:
        if (/page out of range/i.test(reason))
          return new BrokerError('invalid', 'that page is past the last one; start again from page 1', details);
        return new BrokerError('invalid', `the broker rejected ${what}: ${reason}`, details);
      case 405:
        return new BrokerError('invalid', `the broker does not allow ${what} (405: ${reason})`, details);
      default:
        return new BrokerError('broker', `management API error ${status} on ${what}: ${reason}`, details);
    }
  }

  #vhostDenied(what: string, details: { status: number; service: 'management' }): BrokerError {
    const vhost = vhostOfApiPath(what.slice(what.indexOf(' ') + 1));
    return new BrokerError(
      'vhost_denied',
      `user ${inQuotes(this.#endpoint.user)} may not use vhost ${vhost === undefined ? 'named in this request' : `${inQuotes(vhost)}`} (no permissions there)`,
      details,
    );
  }
}

/** The error with every credential the request carried masked: in its body, or the password of /auth/hash_password/…. */
function masked(error: BrokerError, path: string, body: unknown): BrokerError {
  const reading = readApiPath(path);
  const inPath = 'route' in reading ? reading.route.bindings.password : undefined;
  const message = maskCredentials(error.message, [...credentialsIn(body), ...(inPath !== undefined ? [inPath] : [])]);
  return message === error.message ? error : new BrokerError(error.code, message, error.details);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The 404 of RabbitMQ's vhost access check, as its web dispatch words it. */
function isVhostAccessRefusal(body: unknown): boolean {
  const { error, reason } = (body ?? {}) as { error?: unknown; reason?: unknown };
  return error === 'not_found' && reason === 'Not Found';
}

function brokerReason(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const { reason, error } = body as { reason?: unknown; error?: unknown };
    if (typeof reason === 'string') return reason;
    if (typeof error === 'string') return error;
  }
  return undefined;
}

/** Query parameters of the management API's paging and name filter (rabbit_mgmt_util:pagination_params). */
const PAGING_PARAMETERS = ['page', 'page_size', 'name', 'use_regex'] as const;

/** Lists the management API pages ("/api/queues", "/api/vhosts/{vhost}/connections"…). */
function isListPath(path: string): boolean {
  const segments = apiSegments(path);
  if (segments.at(-1) === '' && segments.length > 1) segments.pop();
  const [resource, first, second, third] = segments;
  switch (segments.length) {
    case 1:
      return ['queues', 'exchanges', 'bindings', 'channels', 'connections', 'users', 'vhosts'].includes(resource ?? '');
    case 2:
      return ['queues', 'exchanges', 'bindings'].includes(resource ?? '') || (resource === 'stream' && first === 'connections');
    case 3:
      return (
        (resource === 'vhosts' && (second === 'channels' || second === 'connections')) ||
        (resource === 'connections' && first === 'username') ||
        (resource === 'stream' && first === 'connections' && third === undefined)
      );
    default:
      return false;
  }
}
