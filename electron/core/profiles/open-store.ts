import Conf from 'conf';
import { STORE_VERSION, type StoreShape, storeMigrations, storeSchema } from './profile-store.js';

/**
 * The store on plain Node (`conf`, which electron-store extends): same file format, schema and
 * migrations as the app's, in a folder of the caller's choice.
 */
export function openPlainStore(folder: string): Conf<StoreShape> {
  return new Conf<StoreShape>({
    cwd: folder,
    configName: 'rabbitmq-mcp',
    projectVersion: STORE_VERSION,
    migrations: storeMigrations as never,
    schema: storeSchema as never,
    configFileMode: 0o600,
  });
}
