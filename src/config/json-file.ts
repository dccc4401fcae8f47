import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/**
 * Reads and parses a JSON configuration file, or throws a ConfigError that names the setting
 * it came from. Parse errors give only the position: V8's message quotes the text around the
 * error, which may be a secret.
 */
export function readJsonFile(setting: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ConfigError(
      `${setting}: ${file} is not valid JSON${position ? ` (at position ${position})` : ''}`,
    );
  }
}
