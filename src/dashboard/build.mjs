/**
 * Builds the dashboard (src/dashboard) into static files: dashboard.js (the TypeScript sources
 * and the client library, bundled by esbuild), dashboard.css and index.html. `npm run build`
 * runs it after tsc; the gateway serves the result from dist/dashboard (and, run from source,
 * builds it on first use). Everything is local: no CDN, no web fonts.
 *
 *   node src/dashboard/build.mjs [outdir]
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where `npm run build` puts the dashboard: dist/dashboard at the package root. */
export const DEFAULT_OUTDIR = path.resolve(here, '../../dist/dashboard');

/**
 * Builds into `outdir` (replaced as a whole, so a page never mixes two builds' files).
 * @param {{ outdir?: string, minify?: boolean }} [options]
 * @returns {Promise<string>} the output directory
 */
export async function buildDashboard({ outdir = DEFAULT_OUTDIR, minify = true } = {}) {
  // esbuild is a devDependency: imported only when building.
  const { build } = await import('esbuild');
  const staging = `${outdir}.${process.pid}.${Date.now()}.tmp`;
  await mkdir(staging, { recursive: true });
  try {
    await build({
      entryPoints: [
        { in: path.join(here, 'main.ts'), out: 'dashboard' },
        { in: path.join(here, 'styles.css'), out: 'dashboard' },
      ],
      outdir: staging,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      // Browsers of the last few years; nothing newer than ES2022 is used.
      target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
      minify,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
    });
    await copyFile(path.join(here, 'index.html'), path.join(staging, 'index.html'));
    await rm(outdir, { recursive: true, force: true });
    await rename(staging, outdir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return outdir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const outdir = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
  await buildDashboard({ outdir });
}
