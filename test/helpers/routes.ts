import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

/**
 * The app's routes, read from `printRoutes({ commonPrefix: false })`: one line per path node,
 * `├── /segment (GET, HEAD)`, nested four columns deeper per level.
 */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const stack: string[] = [];
  const routes: { method: string; url: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?\s*$/.exec(line);
    if (!match) {
      assert.equal(line.trim(), '', `unexpected printRoutes line: ${JSON.stringify(line)}`);
      continue;
    }
    const depth = match[1]!.length / 4;
    assert.ok(Number.isInteger(depth), `unexpected indentation: ${JSON.stringify(line)}`);
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + match[2]!;
    stack[depth] = url;
    for (const method of (match[3] ?? '').split(',')) {
      if (method.trim()) routes.push({ method: method.trim(), url });
    }
  }
  return routes;
}
