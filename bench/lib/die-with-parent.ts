/**
 * Preloaded (`--import`) into every process the benchmark starts: if the process that started it
 * goes away without cleaning up (killed with SIGKILL, say), this one ends too, gracefully first
 * (SIGTERM, so the gateway closes its upstreams) and hard after two seconds.
 */
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  setTimeout(() => process.exit(1), 2000).unref();
  process.kill(process.pid, 'SIGTERM');
}, 500);
watch.unref();
