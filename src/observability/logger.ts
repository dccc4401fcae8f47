import pino, { type Logger } from 'pino';

/** Query parameters whose values never reach a log line. */
const SECRET_PARAMS = /([?&](?:token|access_token|api_key|key)=)[^&#]*/gi;

/** A URL as it may be logged: secrets in the query replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
}

/**
 * The gateway's pino logger. Authorization headers and upstream headers/env are redacted
 * wherever they appear; tool arguments and results are never logged at `info`.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mcp-progress-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'headers.authorization',
          'req.headers.authorization',
          '*.headers.authorization',
          'config.headers',
          'config.env',
        ],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}
