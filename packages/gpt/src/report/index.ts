export { facetChart, lineChart, type Row, renderSvg } from './charts.js';
export { type RunData, readRun, renderReport, reportCharts, summarize, writeReport } from './report.js';
