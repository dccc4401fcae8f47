/**
 * The gateways the client scenarios run against, on real sockets with the stdio fixture
 * upstream: `main` (defaults), `rotating` (streams end after 1 s and may be cut on demand) and
 * `auth` (API keys on).
 */
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export const API_KEY = 'client-tests-secret-0123456789';
const OTHER_KEY = 'client-tests-other-secret-987654';

export interface ClientGateways {
  main: TestGateway;
  rotating: TestGateway;
  auth: TestGateway;
  /** Destroys every connection to `rotating` (its streams are cut, not ended). */
  cut(): Promise<void>;
  /** Ends every event stream of `rotating` cleanly, without `done`. */
  endStreams(): Promise<void>;
  close(): Promise<void>;
}

export async function startClientGateways(): Promise<ClientGateways> {
  const settled = await Promise.allSettled([
    startGateway(undefined),
    startGateway(undefined, { env: { SSE_MAX_STREAM_AGE_MS: '1000', SSE_RETRY_MS: '20' } }),
    startGateway(undefined, { env: { API_KEYS: `tester:${API_KEY},other:${OTHER_KEY}` } }),
  ]);
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const close = async () => {
    await Promise.all(started.map((gw) => gw.close()));
  };
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  const [main, rotating, auth] = started as [TestGateway, TestGateway, TestGateway];
  return {
    main,
    rotating,
    auth,
    async cut() {
      rotating.app.server.closeAllConnections();
    },
    async endStreams() {
      rotating.app.gateway.streams.endAll();
    },
    close,
  };
}
