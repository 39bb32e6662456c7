/**
 * Expected failures talking to the broker. Each carries a stable code and a message of facts a
 * person (or a model) can read: what failed and why, never how to fix it in one consumer's terms.
 * Each consumer adds its own advice from the code: the MCP server names its environment variables
 * (server/mcp/broker-advice.ts), the desktop app the profile's fields. Tools turn them into
 * `isError` results. Anything else that is thrown is a bug.
 */
export type BrokerErrorCode =
  /** Nothing accepts connections at the address. */
  | 'refused'
  /** The host name does not resolve. */
  | 'unresolved'
  /** The TLS handshake or the certificate check failed. */
  | 'tls'
  /** Something answers, but it does not speak AMQP 0-9-1 (or expects TLS). */
  | 'not_amqp'
  /** No connection for another reason: lost, closed, shutting down. */
  | 'unreachable'
  /** The broker rejected the user name or password. */
  | 'login_refused'
  /** The user may not use the vhost, or it does not exist. */
  | 'vhost_denied'
  /** The user lacks the tag or permission, or the scope refuses the object. */
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'locked'
  /** A memory or disk alarm blocks publishers. */
  | 'blocked'
  | 'timeout'
  /** Every pooled AMQP channel stayed busy. */
  | 'pool_exhausted'
  | 'broker';

/** Which of the broker's two interfaces failed: connection-level codes read differently for each. */
export type BrokerService = 'amqp' | 'management';

export class BrokerError extends Error {
  override name = 'BrokerError';
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    readonly details: { status?: number; service?: BrokerService } = {},
  ) {
    super(message);
  }

  /** The HTTP status of a management API answer, when there was one. */
  get status(): number | undefined {
    return this.details.status;
  }
}

/** Codes that mean the broker could not be reached or logged into at all, whatever was asked. */
const CONNECTION_CODES = new Set<BrokerErrorCode>(['refused', 'unresolved', 'tls', 'not_amqp', 'unreachable', 'login_refused']);

/** Whether the error is about the connection itself rather than the request made over it. */
export function isConnectionFailure(error: BrokerError): boolean {
  return CONNECTION_CODES.has(error.code);
}

const CONNECTION_PROBLEMS = [
  'login_refused',
  'vhost_denied',
  'forbidden',
  'refused',
  'unresolved',
  'tls',
  'not_amqp',
  'timeout',
  'unreachable',
] as const satisfies readonly BrokerErrorCode[];

/** The codes /mcp/health gives for a connection that is down (no names: it answers anyone). */
export type ConnectionProblem = (typeof CONNECTION_PROBLEMS)[number];

function isConnectionProblem(code: BrokerErrorCode): code is ConnectionProblem {
  return (CONNECTION_PROBLEMS as readonly BrokerErrorCode[]).includes(code);
}

/** The health code of a failure: its own code where that is one, else 'unreachable'. */
export function connectionProblem(code: BrokerErrorCode): ConnectionProblem {
  return isConnectionProblem(code) ? code : 'unreachable';
}

/** Socket-level failures by Node's error code: our code and a short reason. */
const SOCKET_FAILURES: Record<string, [BrokerErrorCode, string]> = {
  ECONNREFUSED: ['refused', 'connection refused'],
  ECONNRESET: ['unreachable', 'connection reset'],
  EHOSTUNREACH: ['unreachable', 'host unreachable'],
  ENETUNREACH: ['unreachable', 'network unreachable'],
  ENOTFOUND: ['unresolved', 'host name not found'],
  EAI_AGAIN: ['unresolved', 'host name lookup failed'],
  ETIMEDOUT: ['timeout', 'timed out'],
  EPIPE: ['unreachable', 'connection closed'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['tls', 'TLS: self-signed certificate (set the TLS CA file, or verify=false)'],
  SELF_SIGNED_CERT_IN_CHAIN: ['tls', 'TLS: self-signed certificate in chain (set the TLS CA file)'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['tls', 'TLS: cannot verify the certificate (set the TLS CA file)'],
  CERT_HAS_EXPIRED: ['tls', 'TLS: the server certificate has expired'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['tls', 'TLS: the certificate does not match the host name'],
  ERR_SSL_WRONG_VERSION_NUMBER: ['tls', 'TLS handshake failed: the port does not speak TLS (turn TLS off or use the TLS port)'],
};

export interface SocketFailure {
  code: BrokerErrorCode;
  reason: string;
}

/** What a socket-level failure was, from the error code or the error chain. */
export function socketFailure(error: unknown): SocketFailure {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    const known = typeof code === 'string' ? SOCKET_FAILURES[code] : undefined;
    if (known) return { code: known[0], reason: known[1] };
    if (typeof code === 'string' && /CERT|SSL|TLS|SIGNATURE/.test(code)) return { code: 'tls', reason: code };
    if (typeof message === 'string' && /wrong version number|packet length too long/i.test(message)) {
      const [tls, reason] = SOCKET_FAILURES.ERR_SSL_WRONG_VERSION_NUMBER as [BrokerErrorCode, string];
      return { code: tls, reason };
    }
    if (typeof message === 'string' && /^(Unexpected close|Socket closed abruptly)/.test(message)) {
      return { code: 'unreachable', reason: 'connection closed unexpectedly' };
    }
    current = (current as { cause?: unknown }).cause;
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return { code: 'unreachable', reason: code };
  return { code: 'unreachable', reason: typeof message === 'string' && message !== '' ? message : 'unknown error' };
}

/** AMQP 0-9-1 reply codes that close a channel or connection, mapped to our codes. */
const AMQP_CODES: Record<number, BrokerErrorCode> = {
  403: 'forbidden',
  404: 'not_found',
  405: 'locked',
  406: 'conflict',
  320: 'unreachable',
  530: 'forbidden',
  541: 'broker',
};

/**
 * Turns an amqplib operation error (channel closed by the broker) into a BrokerError. The broker
 * text ("NOT_FOUND - no queue 'x' in vhost 'y'") is already precise; we keep it and add the fix.
 */
export function fromAmqpError(error: unknown, context: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  const reply = /(?:Channel|Connection) closed by server: (\d+) \(([A-Z_-]+)\) with message "(.*)"/s.exec(text);
  if (reply) {
    const replyCode = Number(reply[1]);
    return new BrokerError(AMQP_CODES[replyCode] ?? 'broker', `${context}: ${reply[3]}`);
  }
  if (typeof code === 'number' && AMQP_CODES[code]) return new BrokerError(AMQP_CODES[code] as BrokerErrorCode, `${context}: ${text}`);
  if (/channel closed|connection closed|channel ended/i.test(text)) {
    return new BrokerError('unreachable', `${context}: the broker connection was lost (${text}); retry in a moment`);
  }
  return new BrokerError('broker', `${context}: ${text}`);
}
