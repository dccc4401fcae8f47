/** JSON requests to the gateway over keep-alive connections (node:http, no extra dependency). */
import http from 'node:http';
import { nowMs } from './lite-sse.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export interface JsonResponse<T> {
  status: number;
  body: T;
  /** When the request was handed to the socket layer. */
  sentAt: number;
  /** When the whole response had arrived. */
  receivedAt: number;
}

/** Sends a JSON request to 127.0.0.1:port and parses the JSON answer. */
export function requestJson<T = any>(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<JsonResponse<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sentAt = nowMs();
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        timeout: timeoutMs,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, sentAt, receivedAt: nowMs() });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface JobBody {
  id: string;
  status: string;
  [key: string]: unknown;
}

/** POST /v1/jobs for the bench upstream; throws unless the answer is 202. */
export async function startJob(
  port: number,
  tool: string,
  args: Record<string, unknown>,
): Promise<JsonResponse<JobBody>> {
  const response = await requestJson<JobBody>(port, 'POST', '/v1/jobs', {
    server: 'bench',
    tool,
    arguments: args,
  });
  if (response.status !== 202) {
    throw new Error(`POST /v1/jobs answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response;
}

/** Polls GET /v1/jobs/{id} until the job is final; returns it. */
export async function waitFinal(port: number, id: string, timeoutMs = 60_000): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await requestJson<JobBody>(port, 'GET', `/v1/jobs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Closes idle keep-alive connections (between scenarios). */
export function resetAgent(): void {
  agent.destroy();
}
