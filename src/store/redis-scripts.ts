import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis store. Each one is a single atomic step, so replicas never see a
 * half-written job. Key layout (P = the key prefix):
 *
 * - `P job:<id>`       hash: rec (the JobRecord as JSON), status, server, fp (idempotency
 *                      fingerprint), runner (instance id), idem (its idempotency key's name),
 *                      index (its owner index's name), last (newest entry id), latest (newest
 *                      progress entry id, which retention keeps)
 * - `P events:<id>`    stream: the event log, fields t (type) and d (data)
 * - `P owner:-|+name`  sorted set, all scores 0: the owner's job ids, ordered by id (= by creation)
 * - `P idem:-|+name:<key>` string: the job an Idempotency-Key made
 * - `P expiring`       sorted set: `<id>|<index>` by expiry time, to drop expired ids from indexes
 * - `P instances`      sorted set: replica instance ids by lease expiry time (Redis clock)
 * - `P running:<inst>` set: the unfinished jobs a replica runs
 *
 * Keys a script derives from stored values (a job's idempotency key, its runner's set) are built
 * inside the script from the prefix, so the store needs a single Redis, not Redis Cluster.
 * Times come from Redis's own clock (TIME), so replicas with skewed clocks agree on leases.
 */

const COMMON = `
local FINAL = { succeeded = true, failed = true, cancelled = true }
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** A Lua script run by EVALSHA, falling back to EVAL once Redis has forgotten it (restart). */
export class Script {
  readonly #source: string;
  readonly #sha: string;

  constructor(body: string) {
    this.#source = COMMON + body;
    this.#sha = createHash('sha1').update(this.#source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]) {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * KEYS: job, owner index, own running set, instances, [idempotency key]
 * ARGV: id, rec, status, server, fingerprint, instance, lease ttl, prefix
 * → {'created'} | {'existing', rec} | {'conflict'}
 */
export const INSERT = new Script(`
local idem = KEYS[5]
if idem then
  local existing = redis.call('GET', idem)
  if existing then
    local found = redis.call('HMGET', ARGV[8] .. 'job:' .. existing, 'rec', 'fp')
    if found[1] then
      if found[2] == ARGV[5] then return {'existing', found[1]} end
      return {'conflict'}
    end
  end
  redis.call('SET', idem, ARGV[1])
end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'status', ARGV[3], 'server', ARGV[4], 'fp', ARGV[5],
  'runner', ARGV[6], 'idem', idem or '', 'index', KEYS[2], 'last', '', 'latest', '')
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
-- Running jobs always have a lease to watch, even before the first renewal.
redis.call('ZADD', KEYS[4], now_ms() + tonumber(ARGV[7]), ARGV[6])
return {'created'}
`);

/**
 * Stores the record and appends the event, unless the job is missing or final. Past the cap, the
 * oldest progress/log entries go first; status entries, the newest progress and done stay.
 * A final record starts the retention TTL on the job, its log and its idempotency key.
 *
 * KEYS: job, stream, expiring
 * ARGV: id, type, data, rec, status, max events, retention ms, prefix
 * → the new entry id, or false
 */
export const COMMIT = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'status', 'latest', 'runner', 'idem', 'index')
if not cur[1] or FINAL[cur[1]] then return false end
local eid = redis.call('XADD', KEYS[2], '*', 't', ARGV[2], 'd', ARGV[3])
local latest = cur[2] or ''
if ARGV[2] == 'progress' then latest = eid end
redis.call('HSET', KEYS[1], 'rec', ARGV[4], 'status', ARGV[5], 'last', eid, 'latest', latest)
local excess = redis.call('XLEN', KEYS[2]) - tonumber(ARGV[6])
local from = '-'
while excess > 0 do
  local batch = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', 64)
  for _, entry in ipairs(batch) do
    local id, fields = entry[1], entry[2]
    local kind = fields[2]
    if kind == 'log' or (kind == 'progress' and id ~= latest) then
      redis.call('XDEL', KEYS[2], id)
      excess = excess - 1
      if excess == 0 then break end
    end
    from = '(' .. id
  end
  if #batch < 64 then break end
end
if FINAL[ARGV[5]] then
  local ttl = tonumber(ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  if cur[4] and cur[4] ~= '' then redis.call('PEXPIRE', cur[4], ttl) end
  if cur[3] and cur[3] ~= '' then redis.call('SREM', ARGV[8] .. 'running:' .. cur[3], ARGV[1]) end
  redis.call('ZADD', KEYS[3], now_ms() + ttl, ARGV[1] .. '|' .. (cur[5] or ''))
end
return eid
`);

/**
 * KEYS: job, stream, expiring; ARGV: id → 'deleted' | 'running' | 'missing'
 */
export const DELETE = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'status', 'idem', 'index')
if not cur[1] then return 'missing' end
if not FINAL[cur[1]] then return 'running' end
if cur[2] and cur[2] ~= '' and redis.call('GET', cur[2]) == ARGV[1] then
  redis.call('DEL', cur[2])
end
if cur[3] and cur[3] ~= '' then redis.call('ZREM', cur[3], ARGV[1]) end
redis.call('ZREM', KEYS[3], ARGV[1] .. '|' .. (cur[3] or ''))
redis.call('DEL', KEYS[1], KEYS[2])
return 'deleted'
`);

/**
 * Reads the history after a cursor. The cursor is placed when it is not past the newest id ever
 * written (an older one resumes from the earliest retained entry, as in the memory store).
 * Ids were checked by the caller to have at most 15 digits per part, so Lua numbers are exact.
 *
 * KEYS: job, stream; ARGV: cursor entry id or ''
 * → false | {status, placed (0/1), entries}
 */
export const FOLLOW = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'status', 'last')
if not cur[1] then return false end
local placed = 0
local last = cur[2] or ''
if ARGV[1] ~= '' and last ~= '' then
  local cm, cs = string.match(ARGV[1], '^(%d+)-(%d+)$')
  local lm, ls = string.match(last, '^(%d+)-(%d+)$')
  cm, cs, lm, ls = tonumber(cm), tonumber(cs), tonumber(lm), tonumber(ls)
  if cm < lm or (cm == lm and cs <= ls) then placed = 1 end
end
local entries
if placed == 1 then
  entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1], '+')
else
  entries = redis.call('XRANGE', KEYS[2], '-', '+')
end
return {cur[1], placed, entries}
`);

/**
 * Renews this replica's lease and compares what it runs with what the store says.
 * KEYS: instances, own running set; ARGV: instance, lease ttl, prefix, ids run locally...
 * → {ids run locally whose job is final or gone, ids in the running set not run locally}
 */
export const RENEW = new Script(`
redis.call('ZADD', KEYS[1], now_ms() + tonumber(ARGV[2]), ARGV[1])
local gone, local_ids, orphans = {}, {}, {}
for i = 4, #ARGV do
  local status = redis.call('HGET', ARGV[3] .. 'job:' .. ARGV[i], 'status')
  if not status or FINAL[status] then gone[#gone + 1] = ARGV[i] end
  local_ids[ARGV[i]] = true
end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if not local_ids[id] then orphans[#orphans + 1] = id end
end
return {gone, orphans}
`);

/** KEYS: instances → up to 20 instance ids whose lease has expired. */
export const EXPIRED = new Script(`
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, 20)
`);

/**
 * Forgets a dead replica once none of its jobs is left running.
 * KEYS: instances, its running set; ARGV: instance → 1 if forgotten
 */
export const FORGET = new Script(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= now_ms() and redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`);

/**
 * A replica that closes: gone at once if it runs nothing, else its lease expires now so that
 * another replica ends what it left.
 * KEYS: instances, own running set; ARGV: instance
 */
export const RETIRE = new Script(`
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
end
return 1
`);

/**
 * Drops expired jobs from their owner index.
 * KEYS: expiring; ARGV: prefix, limit → how many were due
 */
export const SWEEP = new Script(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local bar = string.find(member, '|', 1, true)
  local id = string.sub(member, 1, bar - 1)
  if redis.call('EXISTS', ARGV[1] .. 'job:' .. id) == 0 then
    local index = string.sub(member, bar + 1)
    if index ~= '' then redis.call('ZREM', index, id) end
    redis.call('ZREM', KEYS[1], member)
  end
end
return #due
`);
