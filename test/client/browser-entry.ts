/**
 * The page script of the Chromium run (bundled by esbuild with the client): exposes the
 * scenarios to the test, which calls `window.runScenario(name, settings)` through Playwright.
 * `cutStreams` and `endStreams` are functions the test exposes to the page.
 */
import { GatewayClient } from '../../src/client/index.js';
import { scenarios, type ScenarioEnv, type ScenarioName } from './scenarios.js';

export type BrowserSettings = Pick<ScenarioEnv, 'urls' | 'apiKey'>;

declare global {
  interface Window {
    runScenario(name: ScenarioName, settings: BrowserSettings): Promise<unknown>;
    cutStreams(): Promise<void>;
    endStreams(): Promise<void>;
  }
}

window.runScenario = (name, settings) =>
  scenarios[name]({
    GatewayClient,
    ...settings,
    cut: () => window.cutStreams(),
    endStreams: () => window.endStreams(),
  });
