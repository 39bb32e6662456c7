import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './shell/preload-api.js';

// Exactly the typed API, nothing generic: see electron/shell/preload-api.ts.
contextBridge.exposeInMainWorld('rabbitmqMcp', createPreloadApi(ipcRenderer));
