import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One plotted value. */
export type Row = Record<string, string | number>;

/** Renders a Vega-Lite spec to an SVG string in Node (no browser, no canvas: text widths are estimated). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 640;
const HEIGHT = 260;

/** Lines of `y` over `x`, one per value of `series`, overlaid. */
export function lineChart(options: {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  series: string;
  yTitle?: string;
  logY?: boolean;
  points?: boolean;
}): TopLevelSpec {
  const { title, rows, x, y, series } = options;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', point: options.points ?? false, strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: x, type: 'quantitative', title: x },
      y: {
        field: y,
        type: 'quantitative',
        title: options.yTitle ?? y,
        scale: options.logY ? { type: 'log' } : { zero: false },
      },
      color: { field: series, type: 'nominal', title: null, legend: { orient: 'bottom', columns: 3 } },
    },
  };
}

/**
 * One small chart per value of `facet` (the tensor: x, w, dy, dw), each with one line per `series`
 * (the linear layer), for the per-tensor scaling figures.
 */
export function facetChart(options: {
  title: string;
  rows: Row[];
  x: string;
  y: string;
  series: string;
  facet: string;
  facetOrder: readonly string[];
  logY?: boolean;
}): TopLevelSpec {
  const { title, rows, x, y, series, facet } = options;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    facet: { column: { field: facet, type: 'nominal', sort: [...options.facetOrder], title: null } },
    spec: {
      width: 190,
      height: 150,
      mark: { type: 'line', strokeWidth: 1, clip: true },
      encoding: {
        x: { field: x, type: 'quantitative', title: x },
        y: {
          field: y,
          type: 'quantitative',
          title: y,
          scale: options.logY ? { type: 'log' } : { zero: true },
        },
        color: { field: series, type: 'nominal', title: 'layer', legend: { orient: 'bottom', columns: 4 } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
