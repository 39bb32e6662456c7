import type { Broker } from '../broker/broker.js';
import { apiPath } from '../broker/management-client.js';
import { policyPatternMatcher } from '../broker/name-filter.js';
import type { SafetyLevel } from '../config/load-config.js';
import { plural } from './output.js';
import { inQuotes } from '../broker/one-line.js';

/**
 * What a write does to messages and queues, judged by its effect rather than its verb: a policy
 * with max-length 0 empties queues, one with expires deletes them, a shovel from a queue takes
 * its messages. Such a write is destructive: it needs --allow-destructive and a confirmation
 * that previews what it would remove.
 */

/** Policy keys that make the broker remove messages or queues, and what each does. */
const REMOVING_POLICY_KEYS: Record<string, string> = {
  'max-length': 'drops the oldest messages beyond that many',
  'max-length-bytes': 'drops the oldest messages beyond that size',
  'message-ttl': 'drops messages older than that',
  expires: 'deletes queues unused that long',
  overflow: 'decides whether a full queue drops messages',
  'delivery-limit': 'dead-letters or drops messages returned that often',
  'max-age': 'deletes stream data older than that',
};

/** Keys that make queues it applies to take messages from elsewhere: queue federation moves them off the upstream's queue. */
const FEDERATION_KEYS = ['federation-upstream', 'federation-upstream-set'];

/** The keys of a policy that remove messages or queues; federation counts when the policy applies to queues (apply-to unknown: all). */
export function removingPolicyKeys(definition: Record<string, unknown> | undefined, applyTo = 'all'): string[] {
  const federatesQueues = applyTo !== 'exchanges';
  return Object.keys(definition ?? {}).filter((key) => key in REMOVING_POLICY_KEYS || (federatesQueues && FEDERATION_KEYS.includes(key)));
}

interface QueueFacts {
  name: string;
  type?: string;
  messages_ready?: number;
  message_bytes_ready?: number;
  consumers?: number;
}

function applies(applyTo: string, type: string | undefined): boolean {
  if (applyTo === 'all' || applyTo === 'queues') return true;
  if (applyTo === 'classic_queues') return (type ?? 'classic') === 'classic';
  if (applyTo === 'quorum_queues') return type === 'quorum';
  if (applyTo === 'streams') return type === 'stream';
  return false;
}

/**
 * "drops 1,204 ready messages from 3 queues (max-length 0); deletes unused queues among 5
 * matching (expires 1)": what a policy would do to the queues of a vhost it matches now.
 */
export async function policyImpact(
  broker: Broker,
  vhost: string,
  policy: { pattern: string; 'apply-to'?: string; definition: Record<string, unknown> },
): Promise<string> {
  const matches = await policyPatternMatcher(policy.pattern);
  const queues = (
    await broker.management.get<QueueFacts[]>(apiPath('queues', vhost), {
      query: { columns: 'name,type,messages_ready,message_bytes_ready,consumers' },
    })
  ).filter((queue) => matches(queue.name) && applies(policy['apply-to'] ?? 'all', queue.type));
  const definition = policy.definition;
  const parts: string[] = [];
  const overflow = String(definition.overflow ?? 'drop-head');
  const drops = overflow === 'drop-head';
  const maxLength = definition['max-length'];
  if (typeof maxLength === 'number' && drops) {
    const hit = queues.filter((queue) => (queue.messages_ready ?? 0) > maxLength);
    const dropped = hit.reduce((sum, queue) => sum + (queue.messages_ready ?? 0) - maxLength, 0);
    parts.push(`drops ${plural(dropped, 'ready message')} from ${plural(hit.length, 'queue')} (max-length ${maxLength})`);
  }
  const maxBytes = definition['max-length-bytes'];
  if (typeof maxBytes === 'number' && drops) {
    const hit = queues.filter((queue) => (queue.message_bytes_ready ?? 0) > maxBytes);
    const messages = hit.reduce((sum, queue) => sum + (queue.messages_ready ?? 0), 0);
    parts.push(
      `drops the oldest messages of ${plural(hit.length, 'queue')} over ${maxBytes} bytes (they hold ${plural(messages, 'ready message')})`,
    );
  }
  const ttl = definition['message-ttl'];
  if (typeof ttl === 'number') {
    const messages = queues.reduce((sum, queue) => sum + (queue.messages_ready ?? 0), 0);
    parts.push(
      `drops those of ${plural(messages, 'ready message')} in ${plural(queues.length, 'queue')} older than ${ttl} ms (message-ttl)`,
    );
  }
  const expires = definition.expires;
  if (typeof expires === 'number') {
    const idle = queues.filter((queue) => (queue.consumers ?? 0) === 0);
    const messages = idle.reduce((sum, queue) => sum + (queue.messages_ready ?? 0), 0);
    parts.push(
      `deletes every queue unused for ${expires} ms: ${plural(idle.length, 'queue')} without consumers now, holding ${plural(messages, 'ready message')} (expires)`,
    );
  }
  const limit = definition['delivery-limit'];
  if (typeof limit === 'number') parts.push(`dead-letters or drops messages returned more than ${limit} times (delivery-limit)`);
  if (definition['max-age'] !== undefined) parts.push(`deletes stream data older than ${String(definition['max-age'])} (max-age)`);
  const upstream = definition['federation-upstream'] ?? definition['federation-upstream-set'];
  if (upstream !== undefined && (policy['apply-to'] ?? 'all') !== 'exchanges')
    parts.push(
      `federates ${plural(queues.length, 'queue')} from upstream ${inQuotes(String(upstream))}, which moves messages off the upstream's queue of the same name (in another vhost or broker) whenever these have consumers`,
    );
  if (definition.overflow !== undefined && maxLength === undefined && maxBytes === undefined)
    parts.push(`sets overflow ${overflow}, which drops messages once a length limit applies`);
  return `it matches ${plural(queues.length, 'queue')} now and ${parts.join('; ')}`;
}

/** What a shovel takes away: every message of its source queue (moved, not copied). */
export function shovelRemoves(value: Record<string, unknown>): string | undefined {
  const queue = value['src-queue'];
  if (typeof queue !== 'string') return undefined;
  const after = value['src-delete-after'];
  const until = after === undefined || after === 'never' ? 'as they arrive, until it is deleted' : `until it has moved ${String(after)}`;
  return `takes the messages off queue ${inQuotes(queue)} ${until}`;
}

/** The refusal for a write whose effect is destructive, on a server that does not allow that. */
export function destructiveRefusal(what: string, effect: string, safety: SafetyLevel): string {
  return `${what} ${effect}, so it counts as destructive: this server runs ${safety}. Restart it with --allow-destructive to do it (a preview comes first, then confirm: true).`;
}
