/**
 * Expected failures talking to the broker. Each carries a message a person (or a model) can act
 * on; tools turn them into `isError` results. Anything else that is thrown is a bug.
 */
export type BrokerErrorKind =
  | 'unreachable'
  | 'credentials'
  | 'forbidden'
  | 'vhost_denied'
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'locked'
  | 'blocked'
  | 'timeout'
  | 'broker';

export class BrokerError extends Error {
  override name = 'BrokerError';
  constructor(
    readonly kind: BrokerErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EPIPE: 'connection closed',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: self-signed certificate (set the TLS CA file, or verify=false)',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: self-signed certificate in chain (set the TLS CA file)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: cannot verify the certificate (set the TLS CA file)',
  CERT_HAS_EXPIRED: 'TLS: the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the certificate does not match the host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed: the port does not speak TLS (turn TLS off or use the TLS port)',
};

/** A short reason for a socket-level failure, from the error code or the error chain. */
export function socketReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && SOCKET_REASONS[code]) return SOCKET_REASONS[code];
    if (typeof message === 'string' && /wrong version number|packet length too long/i.test(message)) {
      return SOCKET_REASONS.ERR_SSL_WRONG_VERSION_NUMBER as string;
    }
    if (typeof message === 'string' && /^(Unexpected close|Socket closed abruptly)/.test(message)) return 'connection closed unexpectedly';
    current = (current as { cause?: unknown }).cause;
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' && message !== '' ? message : 'unknown error';
}

/** AMQP 0-9-1 reply codes that close a channel or connection, mapped to our kinds. */
const AMQP_CODES: Record<number, BrokerErrorKind> = {
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
    const kind = AMQP_CODES[replyCode] ?? 'broker';
    return new BrokerError(kind, `${context}: ${reply[3]}`);
  }
  if (typeof code === 'number' && AMQP_CODES[code]) return new BrokerError(AMQP_CODES[code] as BrokerErrorKind, `${context}: ${text}`);
  if (/channel closed|connection closed|channel ended/i.test(text)) {
    return new BrokerError('unreachable', `${context}: the broker connection was lost (${text}); retry in a moment`);
  }
  return new BrokerError('broker', `${context}: ${text}`);
}
