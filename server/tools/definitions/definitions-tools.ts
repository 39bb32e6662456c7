import { z } from 'zod';
import { BrokerError, isConnectionFailure } from '../../broker/broker-errors.js';
import type { Broker } from '../../broker/broker.js';
import { apiPath } from '../../broker/management-client.js';
import { MASK, withoutCredentials } from '../credentials.js';
import { vhostNotFound } from '../not-found.js';
import { capOutput } from '../output.js';
import { confirm, objectName } from '../schemas.js';
import { READ_ONLY, defineTool, destroys } from '../tool.js';
import { judgeDefinitions } from '../scope-effects.js';
import { diffDefinitions } from './diff.js';
import { documentProblems, documentSchema, forVhost } from './document.js';
import { type Item, KINDS, count, itemsOf, kindNamed } from './kinds.js';
import { blockersText, counts, destination, diffDetails, formatDocument, tally, verification } from './render.js';
import { inQuotes } from '../../broker/one-line.js';

/**
 * Definitions: the broker's topology, policies, parameters and users as one JSON document
 * (GET/POST /api/definitions, or /api/definitions/{vhost} for one vhost). Exports leave
 * credentials out; imports are previewed as a diff against what exists, since an import adds
 * and updates objects but never deletes, and cannot change a queue or exchange in place.
 */

/** A definitions document as the broker gave it, completed with the exchanges its export left out. */
interface Definitions {
  document: Item;
  /** "'audit' (internal)", or "'audit' in vhost 'shop' (internal)" for the whole broker: exchanges added from the exchange list. */
  added: string[];
}

/** GET of a whole-broker or vhost document; RabbitMQ answers an unknown vhost with 400 vhost_not_found. */
async function readDefinitions(broker: Broker, vhost: string | undefined): Promise<Definitions> {
  let document: Item;
  if (vhost === undefined) document = await broker.management.get<Item>(apiPath('definitions'));
  else {
    try {
      document = await broker.management.get<Item>(apiPath('definitions', vhost), { notFound: vhostNotFound(vhost) });
    } catch (error) {
      if (error instanceof BrokerError && /vhost_not_found/.test(error.message)) throw new BrokerError('not_found', vhostNotFound(vhost));
      throw error;
    }
  }
  return withLeftOutExchanges(broker, vhost, document);
}

const EXCHANGE_FIELDS = ['name', 'vhost', 'type', 'durable', 'auto_delete', 'internal', 'arguments'];

/**
 * RabbitMQ 4.3's export leaves out internal exchanges (rabbit_definitions:list_exchanges), so a
 * binding from one names an exchange the document does not hold and the import fails with
 * resources_missing. Whatever exchange the document lacks is added from the broker's exchange
 * list; the default and amq.* ones are the broker's own and left out as by every version.
 */
async function withLeftOutExchanges(broker: Broker, vhost: string | undefined, document: Item): Promise<Definitions> {
  const kind = kindNamed('exchanges');
  const listed = await broker.management.getAll<Item>(vhost === undefined ? apiPath('exchanges') : apiPath('exchanges', vhost), {
    columns: EXCHANGE_FIELDS,
  });
  const exported = new Set(itemsOf(document, kind).map((exchange) => JSON.stringify([vhost ?? exchange.vhost, exchange.name])));
  const missing = listed.filter(
    (exchange) =>
      typeof exchange.name === 'string' &&
      exchange.name !== '' &&
      !exchange.name.startsWith('amq.') &&
      !exported.has(JSON.stringify([vhost ?? exchange.vhost, exchange.name])),
  );
  if (missing.length === 0) return { document, added: [] };
  const fields = vhost === undefined ? EXCHANGE_FIELDS : EXCHANGE_FIELDS.filter((field) => field !== 'vhost');
  return {
    document: { ...document, exchanges: [...itemsOf(document, kind), ...missing.map((exchange) => pick(exchange, fields))] },
    added: missing.map(
      (exchange) =>
        `${inQuotes(String(exchange.name))}${vhost === undefined ? ` in vhost ${inQuotes(String(exchange.vhost))}` : ''}${exchange.internal === true ? ' (internal)' : ''}`,
    ),
  };
}

function pick(item: Item, fields: readonly string[]): Item {
  return Object.fromEntries(fields.filter((field) => item[field] !== undefined).map((field) => [field, item[field]]));
}

/** A vhost's definitions, credentials stripped, as the JSON the resource serves. */
export async function vhostDefinitionsJson(broker: Broker, vhost: string): Promise<string> {
  return formatDocument(withoutCredentials((await readDefinitions(broker, vhost)).document));
}

const MAX_NAMED = 10;

export const exportDefinitions = defineTool({
  name: 'export_definitions',
  title: 'Export definitions',
  group: 'definitions',
  description: 'Definitions JSON: topology, policies, users; secrets masked.',
  input: z.strictObject({ vhost: objectName('vhost').optional().describe('Omit: whole broker') }),
  annotations: READ_ONLY,
  async handler(args, { broker }) {
    const { document: raw, added } = await readDefinitions(broker, args.vhost);
    const document = withoutCredentials(raw);
    const version = typeof document.rabbitmq_version === 'string' ? document.rabbitmq_version : document.rabbit_version;
    const where = args.vhost === undefined ? 'the whole broker' : `vhost ${inQuotes(args.vhost)}`;
    const hint =
      args.vhost === undefined
        ? 'export one vhost at a time (vhost argument; list_vhosts shows them)'
        : `the resource rabbitmq://vhosts/${encodeURIComponent(args.vhost)}/definitions serves the whole document`;
    const completed =
      added.length > 0
        ? ` Added ${added.length === 1 ? 'an exchange' : `${added.length} exchanges`} the broker's export left out, from its exchange list, so that the document imports back: ${added.slice(0, MAX_NAMED).join(', ')}${added.length > MAX_NAMED ? ` and ${added.length - MAX_NAMED} more` : ''}.`
        : '';
    return capOutput(
      `Definitions of ${where} (RabbitMQ ${String(version ?? '?')}): ${counts(document)}. ${args.vhost === undefined ? 'Password hashes removed; secrets' : 'Secrets'} in parameters shown as ${MASK}.${completed}\n${formatDocument(document)}`,
      hint,
    );
  },
});

/**
 * The document as a tool argument: advertised as an object; a string holding one is accepted too,
 * since some clients send nested JSON as text.
 */
const definitionsArgument = z.preprocess(
  (value, context) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      context.addIssue({ code: 'custom', message: `not valid JSON (${(error as Error).message})` });
      return z.NEVER;
    }
  },
  z.record(z.string(), z.unknown(), { error: 'must be a definitions document: a JSON object, or a string holding one' }),
);

async function readCurrent(broker: Broker, target: string | undefined, incoming: Item): Promise<Item> {
  const { document: current } = await readDefinitions(broker, target);
  if (target !== undefined || itemsOf(incoming, kindNamed('vhosts')).length === 0) return current;
  // The whole-broker export of 3.10 lists vhosts by name only; their description and tags come from /api/vhosts.
  const details = await broker.management.get<Item[]>(apiPath('vhosts'));
  const byName = new Map(details.map((vhost) => [vhost.name, vhost]));
  return { ...current, vhosts: itemsOf(current, kindNamed('vhosts')).map((vhost) => ({ ...byName.get(vhost.name), ...vhost })) };
}

const IMPORT_TIMEOUT_MS = 120_000;

export const importDefinitions = defineTool({
  name: 'import_definitions',
  title: 'Import definitions',
  group: 'definitions',
  description: 'Add and update definitions, never delete; previews a diff.',
  input: z.strictObject({
    definitions: definitionsArgument.describe('As exported'),
    vhost: objectName('vhost').optional().describe('Omit: whole broker'),
    confirm,
  }),
  annotations: destroys(true),
  async handler(args, { broker, confirm: ask, progress }) {
    const parsed = documentSchema.safeParse(args.definitions);
    if (!parsed.success) return { text: documentProblems(parsed.error, args.definitions), isError: true };
    const target = args.vhost;
    const original = parsed.data as Item;
    const document = target === undefined ? original : forVhost(original);
    const path = target === undefined ? apiPath('definitions') : apiPath('definitions', target);
    // Refused before the dry run: the scope would refuse the import itself.
    broker.scope.checkBody(path, document);
    // And what its objects would set off: policies, tracing, dead letters, alternates, taps, shovels.
    const judged = await judgeDefinitions(broker, document, target);
    if (judged.refusal) return { text: `${judged.refusal} Nothing was imported.`, isError: true };

    await progress(1, 3, 'comparing the document with the broker');
    const diff = diffDefinitions(document, await readCurrent(broker, target, document), target);
    const where = destination(original, target);
    if (diff.blockers.length > 0) return { text: blockersText(diff.blockers, where), isError: true };
    const ignored =
      target === undefined
        ? []
        : KINDS.filter((kind) => !kind.perVhostImport && itemsOf(original, kind).length > 0).map((kind) =>
            count(itemsOf(original, kind).length, kind),
          );
    const details = diffDetails(diff, ignored);
    if (diff.added.length + diff.changed.length === 0) {
      return capOutput(`Nothing to import ${where}: ${tally(diff)}. Nothing was changed.${details ? `\n${details}` : ''}`);
    }
    const removes = judged.removes.length > 0 ? `\nIt would remove messages or queues: ${judged.removes.join('; ')}` : '';
    const declined = await ask(
      args.confirm,
      capOutput(`would import ${where}: ${tally(diff)}${removes}\n${details}\nImports add and update; they never delete`),
    );
    if (declined) return declined;

    await progress(2, 3, 'importing');
    try {
      await broker.management.post(path, document, { timeoutMs: IMPORT_TIMEOUT_MS, notFound: target && vhostNotFound(target) });
    } catch (error) {
      if (!(error instanceof BrokerError) || isConnectionFailure(error)) throw error;
      return {
        text: `Import failed: ${error.message.slice(0, 600)}. RabbitMQ applies a document object by object, so the objects before the failing one may be in place: call import_definitions without confirm to see what remains.`,
        isError: true,
      };
    }

    await progress(3, 3, 'verifying');
    const verified = verification(diff, diffDefinitions(document, await readCurrent(broker, target, document), target, true));
    const left = [
      diff.conflicts.length > 0 ? `${diff.conflicts.length} in conflict left as they were` : '',
      diff.skipped.length > 0 ? `${diff.skipped.length} skipped` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return capOutput(
      `Imported ${where}: ${diff.added.length} added, ${diff.changed.length} changed${left ? ` (${left})` : ''}. ${verified}\n${details}`,
    );
  },
});
