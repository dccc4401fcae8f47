import { ConfigError } from '../errors.js';

/** Reads `--config PATH` from command-line arguments, if present. */
export function configPathFromArgs(argv: readonly string[]): string | undefined {
  const index = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (index === -1) return undefined;
  const arg = argv[index]!;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  if (!value) throw new ConfigError('--config needs a path');
  return value;
}
