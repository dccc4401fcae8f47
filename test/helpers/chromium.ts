/**
 * Headless Chromium for the dashboard and client browser tests: Debian's /usr/bin/chromium (CHROMIUM_PATH to use
 * another), driven by playwright-core, with the flags a closed network needs. Never a
 * downloaded browser.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The browser, or why there is none. Under CI=true a missing or broken Chromium is an error, not
 * a reason to skip; `purpose` says what needs it.
 */
export async function launchChromium(
  purpose: string,
): Promise<{ browser?: Browser; reason?: string }> {
  let reason: string | undefined;
  if (!existsSync(CHROMIUM)) reason = `no Chromium at ${CHROMIUM}`;
  else {
    try {
      return {
        browser: await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      };
    } catch (error) {
      reason = `Chromium at ${CHROMIUM} does not start: ${(error as Error).message}`;
    }
  }
  if (process.env.CI === 'true')
    throw new Error(`CI=true needs Chromium for ${purpose}: ${reason}`);
  return { reason };
}
