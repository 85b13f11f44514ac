export { loadConfig, applyEnv, applyToml, validate } from './load';
export { defaultConfig } from './schema';
export type { KepdConfig, ProviderPeer } from './schema';
export { dataPaths, resolveInData } from './paths';
export type { DataPaths } from './paths';
