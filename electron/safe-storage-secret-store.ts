import { safeStorage } from 'electron';
import type { SecretStore } from './core/secrets/secret-store.js';

/**
 * Profile passwords encrypted by the operating system (Keychain, DPAPI, libsecret/kwallet)
 * through Electron's safeStorage. On Linux without a keyring Electron falls back to a fixed key
 * ("basic_text"): protection() says so and the window warns the user.
 */
export class SafeStorageSecretStore implements SecretStore {
  protection(): 'os' | 'plain' {
    return process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text' ? 'plain' : 'os';
  }

  async encrypt(plain: string): Promise<string> {
    if (!safeStorage.isEncryptionAvailable())
      throw new Error('The operating system cannot encrypt passwords right now; try again after logging in to the desktop');
    return safeStorage.encryptString(plain).toString('base64');
  }

  async decrypt(cipher: string): Promise<string> {
    return safeStorage.decryptString(Buffer.from(cipher, 'base64'));
  }
}
