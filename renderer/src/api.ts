import type { AppApi } from '../../electron/shared/contract';

/** The app's API, as the preload exposes it. */
export const api: AppApi = window.rabbitmqMcp;

/**
 * The message of an error thrown across IPC, without the wrapping or the error's class name
 * ("Error invoking remote method …: ProfileValidationError: x" → "x"): people read the words.
 */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Error invoking remote method '[^']+': /, '').replace(/^([A-Z]\w*)?Error: /, '');
}
