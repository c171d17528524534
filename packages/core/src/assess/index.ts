export * from './thresholds.js';
export * from './content.js';
export * from './series-findings.js';
export * from './assess.js';
export * from './slice-outliers.js';
