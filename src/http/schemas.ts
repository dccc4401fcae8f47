/** JSON Schemas for what clients send; openapi.yaml describes the same shapes. */

export const JOB_ID = { type: 'string', pattern: '^[0-9a-v]{26}$' } as const;
export const SERVER_NAME = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
} as const;
const STATUS = {
  type: 'string',
  enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
} as const;

export const jobParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string' } },
} as const;

export const serverParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' } },
} as const;

export const startJobBody = {
  type: 'object',
  required: ['server', 'tool'],
  additionalProperties: false,
  properties: {
    server: { type: 'string', minLength: 1, maxLength: 64 },
    tool: { type: 'string', minLength: 1, maxLength: 256 },
    arguments: { type: 'object' },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutMs: { type: 'integer', minimum: 1 },
        idleTimeoutMs: { type: 'integer', minimum: 1 },
      },
    },
  },
} as const;

export interface StartJobBody {
  server: string;
  tool: string;
  arguments?: Record<string, unknown>;
  options?: { timeoutMs?: number; idleTimeoutMs?: number };
}

export const listJobsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: STATUS,
    server: SERVER_NAME,
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$' },
    cursor: JOB_ID,
  },
} as const;

export interface ListJobsQuery {
  status?: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  server?: string;
  limit?: string;
  cursor?: string;
}

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
