/**
 * The client scenarios (scenarios.ts) in Node, against real gateways with the stdio fixture
 * upstream. browser.test.ts runs the same scenarios in headless Chromium.
 */
import { after, before, describe, test } from 'node:test';
import { GatewayClient } from '../../src/client/index.js';
import { checks } from './checks.js';
import { API_KEY, startClientGateways, type ClientGateways } from './harness.js';
import { scenarios, type ScenarioEnv, type ScenarioName } from './scenarios.js';

describe('GatewayClient in Node', () => {
  let gateways: ClientGateways | undefined;
  let env: ScenarioEnv;

  before(async () => {
    gateways = await startClientGateways();
    env = {
      GatewayClient,
      urls: { main: gateways.main.url, rotating: gateways.rotating.url, auth: gateways.auth.url },
      apiKey: API_KEY,
      cut: gateways.cut,
      endStreams: gateways.endStreams,
    };
  });
  after(() => gateways?.close());

  for (const name of Object.keys(scenarios) as ScenarioName[]) {
    test(name, async () => {
      const result = await scenarios[name](env);
      await (checks[name] as (result: unknown, gateways: ClientGateways) => Promise<void>)(
        result,
        gateways!,
      );
    });
  }
});
