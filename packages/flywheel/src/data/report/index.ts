export { renderStatisticsReport } from './statistics-report.js';
export type { StatisticsReportOptions } from './statistics-report.js';
export { renderValidationReport } from './validation-report.js';
export type { ValidationReportInput } from './validation-report.js';
export { writeReport } from './write-report.js';
export { DEFAULT_MAX_CHARTS } from './feature-table.js';
export { renderDriftReport } from './drift-report.js';
export type { DriftReportOptions } from './drift-report.js';
