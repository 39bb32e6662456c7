/**
 * Budgets the benchmark holds the server to, shared with what is sized from them (the Kubernetes
 * autoscaler's memory target must sit above the peak the server may reach under load).
 */

/** Peak RSS of the HTTP server through the 32-client runs, in MB (decimal): about 114 MiB. */
export const RSS_BUDGET_MB = 120;
