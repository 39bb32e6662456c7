import { z } from 'zod';
import { APPROVAL_TIMEOUT_SECONDS, type AppSettings, type NotificationCause, type SettingsPatch } from '../../shared/contract.js';

export const NOTIFICATION_CAUSES: readonly NotificationCause[] = ['alarm', 'dead-letters', 'idle-queue', 'broker-down', 'server-crash'];

export const DEFAULT_SETTINGS: AppSettings = {
  startAtLogin: false,
  notifications: { alarm: true, 'dead-letters': true, 'idle-queue': true, 'broker-down': true, 'server-crash': true },
  updates: { check: true, feedUrl: '' },
  approvals: { timeoutSeconds: APPROVAL_TIMEOUT_SECONDS.default },
};

const { min, max } = APPROVAL_TIMEOUT_SECONDS;
/** Whole seconds the person has to answer an approval. */
const timeoutSeconds = z
  .number({ message: `the time to answer an approval is a number of seconds, from ${min} to ${max}` })
  .int(`the time to answer an approval is a whole number of seconds, from ${min} to ${max}`)
  .min(min, `the time to answer an approval is at least ${min} seconds: less is too short to read the question`)
  .max(max, `the time to answer an approval is at most ${max} seconds (15 minutes): the AI app waits that long`);

/** '' (the GitHub releases of the app) or an http(s) address. */
const feedUrl = z
  .string()
  .max(2000)
  .refine(
    (value) => {
      if (value === '') return true;
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || url.protocol === 'http:';
      } catch {
        return false;
      }
    },
    { message: 'the update feed must be an http:// or https:// address, or empty for the GitHub releases' },
  );

const notifications = z.strictObject({
  alarm: z.boolean(),
  'dead-letters': z.boolean(),
  'idle-queue': z.boolean(),
  'broker-down': z.boolean(),
  'server-crash': z.boolean(),
});

export const settingsSchema: z.ZodType<AppSettings> = z.strictObject({
  startAtLogin: z.boolean(),
  notifications,
  updates: z.strictObject({ check: z.boolean(), feedUrl }),
  // Settings saved before this one existed read with its default, without a warning.
  approvals: z.strictObject({ timeoutSeconds }).default({ timeoutSeconds: APPROVAL_TIMEOUT_SECONDS.default }),
});

/** A change from the window: only known keys, each of the right type; anything else is refused by name. */
export const settingsPatchSchema: z.ZodType<SettingsPatch> = z.strictObject({
  startAtLogin: z.boolean().optional(),
  notifications: notifications.partial().optional(),
  updates: z.strictObject({ check: z.boolean().optional(), feedUrl: feedUrl.optional() }).optional(),
  approvals: z.strictObject({ timeoutSeconds: timeoutSeconds.optional() }).optional(),
});
