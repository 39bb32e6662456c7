import { z } from 'zod';
import type { AppSettings, NotificationCause, SettingsPatch } from '../../shared/contract.js';

export const NOTIFICATION_CAUSES: readonly NotificationCause[] = ['alarm', 'dead-letters', 'idle-queue', 'broker-down', 'server-crash'];

export const DEFAULT_SETTINGS: AppSettings = {
  startAtLogin: false,
  notifications: { alarm: true, 'dead-letters': true, 'idle-queue': true, 'broker-down': true, 'server-crash': true },
  updates: { check: true, feedUrl: '' },
};

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
});

/** A change from the window: only known keys, each of the right type; anything else is refused by name. */
export const settingsPatchSchema: z.ZodType<SettingsPatch> = z.strictObject({
  startAtLogin: z.boolean().optional(),
  notifications: notifications.partial().optional(),
  updates: z.strictObject({ check: z.boolean().optional(), feedUrl: feedUrl.optional() }).optional(),
});
