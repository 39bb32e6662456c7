import type { AppApi } from '../../electron/shared/contract';

declare global {
  interface Window {
    /** Exposed by the preload (electron/preload.ts): the app's typed API, nothing else. */
    rabbitmqMcp: AppApi;
  }
}
