import { inQuotes, jsonOneLine } from '../broker/one-line.js';
import type { AnyTool, ToolAnnotations } from '../tools/tool.js';
import type { ApprovalOutcome, ApprovalPolicy, Approver } from './app-approval.js';
import { type InputRequiredResult, inputRequired } from '@modelcontextprotocol/server';
import { type YesBox, yesNoSchema } from './ask-yes-no.js';
import { SharedStateUnavailable } from '../fleet/shared-state.js';
import type { ConfirmRound } from './confirm-rounds.js';
import { type ConfirmationHandles, type Previewed, canonicalArguments, withinPreview } from './confirmations.js';

/** What the client's user answered to an elicitation, or why it could not be asked. */
export type ElicitAnswer = 'accept' | 'decline' | 'cancel' | { failed: string };

/**
 * A 2026-07-28 client that can ask its user: the question travels in the call's own rounds
 * (input_required, then the same call again with the answer and the signed state).
 */
export interface Rounds {
  /** The verified state this round carries, if any. */
  state(): ConfirmRound | undefined;
  /** The user's answer this round carries, if any. */
  answer(): ElicitAnswer | undefined;
  mint(round: ConfirmRound): Promise<string>;
  use(nonce: string): Promise<boolean>;
  newNonce(): string;
}

/** Thrown through the tool's handler when the call needs the client's next round: the result to answer with. */
export class InputNeeded extends Error {
  constructor(readonly result: InputRequiredResult) {
    super('input required');
  }
}

/** The checkbox of a destructive call's question, in the client and in its rounds alike. */
export const YES_DO_IT: YesBox = { title: 'Yes, do it', description: 'This cannot be undone.' };

/** Everything a call's gate needs from the server it runs in. */
export interface GateSetup {
  handles: ConfirmationHandles;
  /** Which calls wait for the person in the desktop app; 'none' when no app asks. */
  policy: ApprovalPolicy;
  approver: Approver;
  /** Asks the client's user (elicitation), when the client can; undefined when it cannot. */
  elicit?: (message: string, signal: AbortSignal) => Promise<ElicitAnswer>;
  /** For a 2026-07-28 client that can ask its user: the rounds of the call. */
  rounds?: Rounds;
  /** The broker the call reaches, as a preview names it: its cluster name. */
  brokerIdentity(): Promise<string>;
  /** Which AI app asks, for the person ("claude-ai 0.1.0"). */
  client(): string;
}

const APP = 'the RabbitMQ MCP app';

/** "Create queue: name 'orders', vhost '/', durable true": a change that has no preview of its own, in plain words. */
export function describeChange(title: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([key, value]) => key !== 'confirm' && value !== undefined)
    .map(([key, value]) => {
      const shown = typeof value === 'string' ? inQuotes(value) : jsonOneLine(value);
      return `${key.replace(/_/g, ' ')} ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`;
    });
  const text = `${title}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}

/**
 * Decides, for one call, whether a change goes ahead: the person in the desktop app when the
 * server runs under it and the profile asks for approval, else the client's user (elicitation)
 * when the client can ask, else the dry run's handle, which binds the confirmation to the call,
 * the broker and the state its preview showed. Nothing in the call's arguments skips a person
 * who can be asked. `decided` is the answer's last line when a person let it through.
 */
export class CallGate {
  decided: string | undefined;
  #personApproved = false;

  constructor(
    private readonly setup: GateSetup,
    private readonly tool: Pick<AnyTool, 'name' | 'title'>,
    private readonly args: Record<string, unknown>,
    /** The tool's hints at this server's level. */
    private readonly hints: ToolAnnotations,
    /** The tool asks for confirmation itself (a destructive tool with a preview) whenever it destroys. */
    private readonly gatesItself: boolean,
  ) {}

  /**
   * Before the handler runs: with every-change approval, a change the tool does not preview
   * itself (creating, publishing, a write through the escape hatch) waits for the person here.
   * Resolves the answer when it must not go ahead.
   */
  async beforeHandler(signal: AbortSignal): Promise<string | undefined> {
    if (this.setup.policy !== 'every-change' || this.hints.readOnlyHint || this.gatesItself) return undefined;
    const preview = describeChange(this.tool.title, this.args);
    const refusal = await this.#askApp(preview, this.hints.destructiveHint, signal);
    if (!refusal) this.#personApproved = true;
    return refusal;
  }

  /** ToolContext.confirm: undefined to go ahead, else the answer (a dry run, a refusal, a denial). */
  async confirm(confirmation: string | boolean | undefined, preview: string, signal: AbortSignal): Promise<string | undefined> {
    if (this.#personApproved) return undefined;
    const now: Previewed = {
      tool: this.tool.name,
      args: canonicalArguments(this.args),
      broker: await this.setup.brokerIdentity(),
      preview,
    };
    if (typeof confirmation === 'string') {
      const check = this.setup.handles.check(confirmation, now);
      if (!check.ok) return `Not done: ${check.why}. Nothing was changed; here is the call as it stands now. ${this.#dryRun(now)}`;
    }
    if (this.setup.policy !== 'none') return this.#askApp(preview, true, signal);
    if (this.setup.rounds) return this.#askInRounds(this.setup.rounds, now);
    if (this.setup.elicit) return this.#askClient(preview, signal);
    // The model confirmed with the handle of its own dry run: nobody else decided, so nothing to add.
    if (typeof confirmation === 'string') return undefined;
    const note = confirmation === true ? "confirm: true is not a confirmation here: confirm with the dry run's handle. " : '';
    return `${note}${this.#dryRun(now)}`;
  }

  #dryRun(now: Previewed): string {
    const handle = this.setup.handles.issue(now);
    const minutes = Math.round(this.setup.handles.ttlMs / 60_000);
    return `Dry run: ${now.preview}. Nothing was changed. To do it, call ${now.tool} again with the same arguments and confirm: "${handle}" (valid ${minutes} minutes, once, on this broker while it stays as previewed).`;
  }

  async #askApp(preview: string, destructive: boolean, signal: AbortSignal): Promise<string | undefined> {
    let outcome: ApprovalOutcome;
    try {
      outcome = await this.setup.approver.ask(
        { tool: this.tool.name, title: this.tool.title, preview, destructive, client: this.setup.client() },
        signal,
      );
    } catch (error) {
      outcome = { decision: 'unavailable', why: `asking the app failed (${(error as Error).message})` };
    }
    switch (outcome.decision) {
      case 'approved':
        this.decided = `Approved by the person in ${APP}.`;
        return undefined;
      case 'denied':
        return `Not done: the person denied it in ${APP} (${preview}). Nothing was changed.`;
      case 'timed-out': {
        const seconds = outcome.waitedMs ? ` within ${Math.round(outcome.waitedMs / 1000)} s` : '';
        return `Not done: nobody answered in ${APP}${seconds}, which counts as a denial (${preview}). Nothing was changed.`;
      }
      default:
        return `Not done: this server's changes need a person's approval in ${APP}, and it cannot be asked: ${outcome.why} (${preview}). Nothing was changed.`;
    }
  }

  /**
   * The first round asks (input_required, with the preview and a signed state); the retry
   * carries the answer and that state, which must still fit the call: the same call on the same
   * broker, a state within the preview the user saw, and a state not used before (on this
   * instance). What no longer fits is asked again with the preview as it is now.
   */
  async #askInRounds(rounds: Rounds, now: Previewed): Promise<string | undefined> {
    const state = rounds.state();
    const answer = rounds.answer();
    let changed = '';
    if (state && answer !== undefined) {
      if (state.tool !== now.tool || state.args !== now.args) changed = 'The answer was for another call. ';
      else if (state.broker !== now.broker) changed = `The answer was given for ${state.broker}; this call reaches ${now.broker}. `;
      else if (!withinPreview(state.preview, now.preview)) changed = `The broker changed since the user was asked (${state.preview}). `;
      else return this.#answered(rounds, state.nonce, answer, now.preview);
    }
    const requestState = await rounds.mint({ ...now, nonce: rounds.newNonce() });
    throw new InputNeeded(
      inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: `${changed}${now.tool} ${now.preview}. Go ahead?`,
            requestedSchema: yesNoSchema(YES_DO_IT),
          }),
        },
        requestState,
      }),
    );
  }

  /** The user's answer to a round that still fits the call, once: a used state confirms nothing. */
  async #answered(rounds: Rounds, nonce: string, answer: ElicitAnswer, preview: string): Promise<string | undefined> {
    let first: boolean;
    try {
      first = await rounds.use(nonce);
    } catch (error) {
      if (!(error instanceof SharedStateUnavailable)) throw error;
      return `Not done: ${error.message}, so this server cannot tell whether that confirmation was used on another instance (${preview}). Nothing was changed; confirm again once Redis is back.`;
    }
    if (!first) return `Not done: that confirmation was used already; each confirms one call (${preview}). Nothing was changed.`;
    if (answer === 'accept') {
      this.decided = `Confirmed by the user in ${this.setup.client()}.`;
      return undefined;
    }
    if (typeof answer === 'object')
      return `Not done: the client could not ask its user to confirm (${answer.failed}): ${preview}. Nothing was changed.`;
    return `Not done: the user ${answer === 'cancel' ? 'dismissed' : 'declined'} the confirmation (${preview}). Nothing was changed.`;
  }

  async #askClient(preview: string, signal: AbortSignal): Promise<string | undefined> {
    const answer = await (this.setup.elicit as NonNullable<GateSetup['elicit']>)(`${this.tool.name} ${preview}. Go ahead?`, signal);
    if (answer === 'accept') {
      this.decided = `Confirmed by the user in ${this.setup.client()}.`;
      return undefined;
    }
    if (typeof answer === 'object') {
      return `Not done: the client could not ask its user to confirm (${answer.failed}): ${preview}. Nothing was changed.`;
    }
    return `Not done: the user ${answer === 'cancel' ? 'dismissed' : 'declined'} the confirmation (${preview}). Nothing was changed.`;
  }
}
