import { z } from 'zod';
import { advertiseAs } from './json-schema.js';
import { filterProblem } from '../broker/name-filter.js';
import { MAX_PAGE_SIZE } from '../broker/management-client.js';

/** Shared pieces of tool input schemas, so every tool says the same thing the same way. */

const MAX_NAME_BYTES = 255;

/** Half of a UTF-16 surrogate pair without its other half: not a character, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A name RabbitMQ can store: well-formed Unicode without NUL, at most 255 bytes of UTF-8. */
function brokerName(what: string, schema: z.ZodString) {
  return schema
    .refine((value) => !LONE_SURROGATE.test(value), {
      message: `${what} holds an unpaired UTF-16 surrogate (half of an emoji or other character): send the whole character`,
    })
    .refine((value) => !value.includes('\u0000'), { message: `${what} holds a NUL character, which RabbitMQ names cannot contain` })
    .refine((value) => Buffer.byteLength(value) <= MAX_NAME_BYTES, {
      message: `${what} is longer than ${MAX_NAME_BYTES} bytes, the RabbitMQ limit`,
    });
}

/** A RabbitMQ object name: 1 to 255 bytes of UTF-8 (the AMQP short-string limit). */
export function objectName(what: string) {
  return brokerName(what, z.string().min(1, `${what} must not be empty`));
}

/** Exchange names may be empty: "" is the default exchange. */
export const exchangeName = brokerName('exchange name', z.string());

/**
 * Descriptions are what a model learns an argument from (unit, default, effect), and each byte is
 * in every client's context: a few words each, the rest in the server's instructions.
 */

/** Optional everywhere; the server's configured vhost is the default. */
export const vhost = objectName('vhost').optional().describe("Default: server's");

export const DEFAULT_PAGE_SIZE = 50;

export const paging = {
  page: z.number().int().min(1).max(100_000).optional().describe('From 1'),
  page_size: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe(`Default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}`),
};

/** A regular expression on the names a list shows. */
export const nameFilter = z.string().max(1000).optional().describe('Regex on shown names');

/**
 * A destructive tool answers with a dry run and its handle; confirm takes the handle back. true
 * is accepted where a person is asked anyway (the desktop app, elicitation), and otherwise answered
 * with the dry run. Advertised as the string it should be.
 */
export const confirm = advertiseAs(z.union([z.string().max(100), z.boolean()]).optional(), {
  type: 'string',
  description: "Dry run's handle",
});

export const routingKey = brokerName('routing key', z.string());

/** An AMQP short string (message properties): at most 255 bytes. */
export const shortString = z.string().refine((value) => Buffer.byteLength(value) <= MAX_NAME_BYTES, {
  message: `longer than ${MAX_NAME_BYTES} bytes, the AMQP limit for this property`,
});

const MAX_TABLE_BYTES = 60_000;

/** Queue/exchange arguments or headers: a JSON object that fits an AMQP field table (64 KiB). */
export const table = z.record(z.string(), z.unknown()).refine((value) => JSON.stringify(value).length <= MAX_TABLE_BYTES, {
  message: `too large: AMQP field tables hold at most 64 KiB; keep it under ${MAX_TABLE_BYTES} bytes of JSON`,
});

/**
 * Checks a filter before it is matched here or sent to the broker (which answers a bad one with an
 * opaque 500, and matches with a backtracking engine): see name-filter.ts.
 */
export async function checkRegex(pattern: string | undefined): Promise<string | undefined> {
  if (pattern === undefined || pattern === '') return undefined;
  return filterProblem(pattern);
}
