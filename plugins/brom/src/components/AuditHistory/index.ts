export { AuditHistory } from './AuditHistory';
