import Conf from 'conf';
import { type StoreShape, storeSchema } from './profile-store.js';

/**
 * The store on plain Node (`conf`, which electron-store extends): same file format and schema
 * as the app's, in a folder of the caller's choice; ProfileStore applies the migrations.
 */
export function openPlainStore(folder: string): Conf<StoreShape> {
  return new Conf<StoreShape>({
    cwd: folder,
    configName: 'rabbitmq-mcp',
    schema: storeSchema as never,
    configFileMode: 0o600,
  });
}
