import type { Command } from 'commander';
import { CliError } from '../client.js';

/** `herald statuspage emergency`: the break-glass banner, straight onto the targets (no database, no Redis). */
export function registerStatusPageCommands(program: Command) {
  const statuspage = program.command('statuspage').description('the status page and its off-site copies');
  statuspage
    .command('emergency')
    .description(
      'put a banner onto the last built page in every target (or --clear it), with no database or Redis: for when Herald itself is down',
    )
    .option('--message <text>', 'the banner text')
    .option('--clear', 'take the banner away')
    .action(async (options: { message?: string; clear?: boolean }, command: Command) => {
      const json = Boolean(command.optsWithGlobals().json);
      if (Boolean(options.message) === Boolean(options.clear))
        throw new CliError('give either --message "text" for a banner or --clear to take it away');
      if (options.message !== undefined && options.message.trim() === '')
        throw new CliError('--message is empty; write the text visitors should read');
      const [{ readEnv }, { loadConfigFile, enabledDefinitions }, { applyEmergency }] = await Promise.all([
        import('../../config/env.js'),
        import('../../config/load.js'),
        import('../../statuspage/emergency.js'),
      ]);
      const env = readEnv(process.env, { generateSecret: false });
      const config = await loadConfigFile(env.configPath, process.env);
      const targets = enabledDefinitions(config).flatMap((definition) => {
        const page = (definition as { statusPage?: import('../../statuspage/options.js').StatusPageOptions })
          .statusPage;
        if (definition.kind !== 'statuspage' || !page) return [];
        return (page.targets ?? []).map((target) => ({
          name:
            target.name ??
            (target.type === 'directory' ? `directory:${target.path}` : `s3://${target.bucket}/${target.prefix ?? ''}`),
          target,
        }));
      });
      if (targets.length === 0)
        throw new CliError(
          `no status page target in ${env.configPath}: set STATUS_PAGE_MIRROR_DIR or STATUS_PAGE_S3_BUCKET (or add targets to statuspage())`,
        );
      const banner = options.message ? { message: options.message.trim(), at: new Date().toISOString() } : null;
      const results = await applyEmergency(targets, banner);
      if (json) process.stdout.write(`${JSON.stringify({ banner, targets: results })}\n`);
      else
        for (const r of results)
          process.stdout.write(
            r.error
              ? `${r.target}: FAILED: ${r.error}\n`
              : `${r.target}: banner ${banner ? 'on' : 'taken off'} ${r.pages} page${r.pages === 1 ? '' : 's'}\n`,
          );
      const failed = results.filter((r) => r.error);
      if (failed.length > 0) throw new CliError(`${failed.length} of ${results.length} targets failed; see above`);
    });
}
