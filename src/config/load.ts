import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ChannelDefinition, ConfigExport, HeraldConfig } from './define.js';
import { embedFrameAncestors } from '../statuspage/security-headers.js';
import { ConfigError } from './env.js';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Loads channels.config.ts (TypeScript through tsx) or a .js/.mjs config, evaluated with the environment. */
export async function loadConfigFile(path: string, vars: NodeJS.ProcessEnv): Promise<HeraldConfig> {
  if (!existsSync(path))
    throw new ConfigError(`channels config not found at ${path}; set HERALD_CONFIG or create channels.config.ts`);
  let module: { default?: ConfigExport };
  try {
    // One module graph with Herald itself (bin/herald.mjs registers tsx): the channels the config builds share
    // Herald's classes, so `instanceof PermanentError` in the worker holds for their errors.
    module = (await import(pathToFileURL(path).href)) as { default?: ConfigExport };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    // Loaded without tsx registered (Herald embedded in another program): compile the config on the side.
    const { tsImport } = await import('tsx/esm/api');
    module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: ConfigExport };
  }
  const exported = module.default;
  if (!exported) throw new ConfigError(`${path} must export default defineConfig(...)`);
  return validateConfig(typeof exported === 'function' ? exported(vars) : exported, path);
}

export function validateConfig(config: HeraldConfig, origin = 'config'): HeraldConfig {
  const seen = new Set<string>();
  for (const definition of enabledDefinitions(config)) {
    if (!NAME.test(definition.name)) {
      throw new ConfigError(
        `${origin}: channel name '${definition.name}' must be lower-case letters, digits and '-', starting with a letter`,
      );
    }
    if (seen.has(definition.name)) {
      throw new ConfigError(
        `${origin}: two channels are named '${definition.name}'; give the second its own name (e.g. '${definition.name}-2')`,
      );
    }
    seen.add(definition.name);
  }
  try {
    embedFrameAncestors(config.site?.embedAncestors);
  } catch (error) {
    throw new ConfigError(`${origin}: ${(error as Error).message}`);
  }
  return config;
}

export function enabledDefinitions(config: HeraldConfig): ChannelDefinition[] {
  return config.channels.filter((c): c is ChannelDefinition => Boolean(c));
}
