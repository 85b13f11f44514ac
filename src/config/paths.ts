/** Layout of a kepd data directory. Only `store` writes under db/, blobs/, archive/, tmp/. */
import { isAbsolute, join, resolve } from 'node:path';

export interface DataPaths {
  root: string;
  configFile: string;
  pkiDir: string;
  dbDir: string;
  blobsDir: string;
  archiveDir: string;
  tmpDir: string;
}

export function dataPaths(dataDir: string): DataPaths {
  const root = resolve(dataDir);
  return {
    root,
    configFile: join(root, 'kepd.toml'),
    pkiDir: join(root, 'pki'),
    dbDir: join(root, 'db'),
    blobsDir: join(root, 'blobs'),
    archiveDir: join(root, 'archive'),
    tmpDir: join(root, 'tmp'),
  };
}

/** Resolves a path from the config relative to the data dir. */
export function resolveInData(dataDir: string, p: string): string {
  return isAbsolute(p) ? p : join(resolve(dataDir), p);
}
