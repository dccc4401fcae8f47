/** Types of build.mjs, for the tests that build the dashboard before starting a gateway. */
export declare const DEFAULT_OUTDIR: string;
export declare function buildDashboard(options?: {
  outdir?: string;
  minify?: boolean;
}): Promise<string>;
