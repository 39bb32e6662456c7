import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * Encrypts profile passwords at rest. The app implements it with Electron's safeStorage
 * (Keychain, DPAPI, libsecret/kwallet); tests and tools use the key-file one below.
 */
export interface SecretStore {
  /**
   * 'os': protected by the operating system's keychain. 'plain': Electron fell back to a
   * hard-coded key (Linux without a keyring), which the user must be warned about.
   */
  protection(): 'os' | 'plain';
  encrypt(plain: string): Promise<string>;
  decrypt(cipher: string): Promise<string>;
}

/** AES-256-GCM with a random key kept in a file of its own (mode 0600). */
export class KeyFileSecretStore implements SecretStore {
  #keyFile: string;
  #key: Promise<Buffer> | null = null;

  constructor(keyFile: string) {
    this.#keyFile = keyFile;
  }

  protection(): 'os' | 'plain' {
    return 'plain';
  }

  async encrypt(plain: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.#loadKey(), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  async decrypt(encoded: string): Promise<string> {
    const bytes = Buffer.from(encoded, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', await this.#loadKey(), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }

  #loadKey(): Promise<Buffer> {
    this.#key ??= readFile(this.#keyFile).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      const key = randomBytes(32);
      await writeFile(this.#keyFile, key, { mode: 0o600, flag: 'wx' });
      return key;
    });
    return this.#key;
  }
}
