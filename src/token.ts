import { parseArgs } from 'node:util';
import { signToken } from './adapters/http/auth.js';
import { loadConfig } from './config.js';

/**
 * `npm run token [-- --role admin --ttl 12h]`: prints a JWT the admin API accepts, signed with
 * the same JWT_SECRET the server loads. Only the token goes to stdout, so `$(npm run -s token)`
 * works; problems go to stderr with a non-zero exit.
 */
async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string', default: 'admin' },
      ttl: { type: 'string', default: '12h' },
    },
  });
  const config = loadConfig();
  const token = await signToken(config.jwtSecret, { role: values.role, ttl: values.ttl });
  process.stdout.write(`${token}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
