// report/: findings and inventories → documents, tables, exit codes. Pure.
export {
  buildScanReport,
  SCHEMA_VERSION,
  type RowStatus,
  type Verdict,
  type ScanReport,
  type CertificateRow,
} from './scan-report.js';
export { renderScanTable } from './scan-table.js';
export { COLOR, PLAIN, type Style } from '../../model/text-table.js';
export { worstSeverity } from '../../model/severity.js';
