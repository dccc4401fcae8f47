/** The dashboard page's script (bundled by esbuild into dist/dashboard/dashboard.js). */
import { Dashboard } from './dashboard.js';

new Dashboard().start();
