import { z } from 'zod';
import { inQuotes, oneLine } from '../../server/broker/one-line.js';
import { READ_ONLY, defineTool, writes } from '../../server/tools/tool.js';
import type { SwitchResult } from '../core/supervisor/switch-requests.js';
import type { BrokerProfile } from './app-server.js';

/** What list_brokers and switch_broker may use; built per call by the bridge. */
export interface BrokerToolContext {
  /** The app's profiles when it runs with two or more, else null (the tools are not offered then). */
  brokers: BrokerProfile[] | null;
  /** Asks the client's user to confirm (elicitation); null when this client cannot ask. */
  ask: ((message: string) => Promise<'accept' | 'decline' | 'cancel'>) | null;
  /** Asks the app to make `profile` active; null when the app did not answer. */
  switchTo(profile: BrokerProfile): Promise<SwitchResult | null>;
}

const SAFETY_WORDS: Record<BrokerProfile['safety'], string> = {
  'read-only': 'read-only: the assistant can look but not change anything',
  write: 'write: the assistant can also create queues, exchanges and bindings and publish messages',
  destructive: 'destructive: the assistant can also delete, purge, consume and close connections, each after a confirmation',
};

const NOTHING_TO_SWITCH = {
  text: 'The RabbitMQ MCP app has fewer than two broker profiles (or is not running): there is nothing to switch to.',
  isError: true,
};

// The group only files them among the server's own tools' groups: these two live in the entry alone.
export const listBrokers = defineTool<z.ZodObject, BrokerToolContext>({
  name: 'list_brokers',
  title: 'List brokers',
  group: 'health',
  description: "The RabbitMQ MCP app's broker profiles: name, host, vhost, safety level, which is active. Never secrets.",
  input: z.object({}).strict(),
  annotations: READ_ONLY,
  async handler(_args, { brokers }) {
    if (!brokers) return NOTHING_TO_SWITCH;
    // Profile names and vhosts are others' text: each stays on its own line.
    const lines = brokers.map(
      (broker) =>
        `${broker.active ? '* ' : '  '}${oneLine(broker.name)}: ${oneLine(broker.host)}, vhost ${inQuotes(broker.vhost)}, ${broker.safety}`,
    );
    return `Broker profiles in the RabbitMQ MCP app (* is active):\n${lines.join('\n')}\nswitch_broker with name switches, after the user confirms.`;
  },
});

export const switchBroker = defineTool<z.ZodObject<{ name: z.ZodString }>, BrokerToolContext>({
  name: 'switch_broker',
  title: 'Switch broker',
  group: 'health',
  description: 'Make another profile active, after the user confirms; every connected AI app follows.',
  input: z.object({ name: z.string().min(1).max(200).describe('A profile name from list_brokers') }).strict(),
  annotations: writes(true),
  async handler({ name }, { brokers, ask, switchTo }) {
    if (!brokers) return NOTHING_TO_SWITCH;
    const target =
      brokers.find((broker) => broker.name === name) ?? brokers.find((broker) => broker.name.toLowerCase() === name.toLowerCase());
    if (!target) {
      return {
        text: `No profile named ${inQuotes(name)}. The profiles are: ${brokers.map((broker) => inQuotes(broker.name)).join(', ')}.`,
        isError: true,
      };
    }
    if (target.active) return `${inQuotes(target.name)} is already the active broker.`;
    if (!ask) {
      return {
        text: `This AI client cannot ask its user to confirm a switch, so nothing was switched. Ask the user to switch to ${inQuotes(target.name)} from the RabbitMQ MCP tray menu (or its window).`,
        isError: true,
      };
    }
    const answer = await ask(
      `Switch the RabbitMQ MCP app to ${inQuotes(target.name)} (${oneLine(target.host)}, vhost ${inQuotes(target.vhost)})? Its safety level is ${SAFETY_WORDS[target.safety]}. Every connected AI app follows the switch.`,
    );
    if (answer !== 'accept') return 'The user did not confirm: the active broker is unchanged.';
    const result = await switchTo(target);
    if (!result)
      return { text: 'The RabbitMQ MCP app did not answer the switch request: it may have quit. Nothing was switched.', isError: true };
    return result.ok ? `${result.message} The tools follow its safety level.` : { text: `Not switched: ${result.message}`, isError: true };
  },
});

/** The entry's own tools, offered beside the app server's when there is a profile to switch to. */
export const brokerTools = [listBrokers, switchBroker];
