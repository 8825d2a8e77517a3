// report/: findings and inventories → documents, tables, exit codes. Pure.
export {
  buildScanReport,
  exitCodeFor,
  worstSeverity,
  SCHEMA_VERSION,
  type ScanReport,
  type CertificateRow,
} from './scan-report.js';
export { renderScanTable } from './scan-table.js';
export { COLOR, PLAIN, type Style } from './text-table.js';
