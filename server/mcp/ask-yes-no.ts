import type { ServerContext } from '@modelcontextprotocol/server';

/** How long a person has to answer a question in their AI client. */
export const ELICITATION_TIMEOUT_MS = 5 * 60_000;

/** What the one checkbox of a yes/no question says. */
export interface YesBox {
  title: string;
  description: string;
}

/** A form of one required checkbox, `confirm`: the shape every yes/no question of ours asks. */
export function yesNoSchema(box: YesBox) {
  return {
    type: 'object' as const,
    properties: { confirm: { type: 'boolean' as const, ...box } },
    required: ['confirm'],
  };
}

/**
 * Asks the client's user yes or no within the call (elicitation, 2025 clients). Accepting the
 * form without ticking the box is a no. Throws when the client cannot be asked.
 */
export async function askYesNo(
  ctx: ServerContext,
  message: string,
  box: YesBox,
  signal: AbortSignal = ctx.mcpReq.signal,
): Promise<'accept' | 'decline' | 'cancel'> {
  const answer = await ctx.mcpReq.elicitInput(
    { mode: 'form', message, requestedSchema: yesNoSchema(box) },
    { signal, timeout: ELICITATION_TIMEOUT_MS },
  );
  if (answer.action === 'accept') return answer.content?.confirm === true ? 'accept' : 'decline';
  return answer.action;
}
