// Errors the CLI maps to exit codes: usage and configuration mistakes, and operations that could
// not run at all (host root missing, runtime socket refusing). Both exit 3, "unknown".

export class OperationalError extends Error {}
