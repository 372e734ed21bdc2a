// Line charts of a time series as standalone SVG, for the pictures the attack benchmark commits
// beside its tables. No dependencies, no scripts, no external fonts: GitHub shows the file as an
// image in markdown. The same input gives the same bytes, and coordinates carry at most one
// decimal, so a re-run diffs only where the numbers moved.

/** One line of the chart: a value for each step of the time axis. */
export interface ChartSeries {
  readonly name: string;
  /** Finite, non-negative; value `i` is drawn at `i * xStep`. */
  readonly values: readonly number[];
  /** Any SVG colour, such as `#2563eb`. */
  readonly color: string;
  readonly dashed?: boolean;
}

/** A shaded stretch of the time axis: value indexes `from` (included) to `to` (excluded). */
export interface ChartBand {
  readonly from: number;
  readonly to: number;
  /** Shown in the legend and at the top of the band, such as `surge on`. */
  readonly label: string;
}

export interface TimeChartOptions {
  readonly title: string;
  /** The unit of the time axis, such as `seconds`. */
  readonly xLabel: string;
  /** What the values count, such as `calls per second`. */
  readonly yLabel: string;
  /** Units of `xLabel` between two values. */
  readonly xStep: number;
  /** At least one, all of the same non-zero length. */
  readonly series: readonly ChartSeries[];
  readonly bands?: readonly ChartBand[];
  /** Pixels; 800 unless given. */
  readonly width?: number;
  /** Pixels; 320 unless given. */
  readonly height?: number;
}

const FONT_SIZE = 12;
/** A generous average width of a character at {@link FONT_SIZE}, for laying out the legend. */
const CHAR_WIDTH = 7.2;
const LEGEND_ROW = 18;
const BAND_FILL = '#f59e0b';
const BAND_OPACITY = 0.2;
const BAND_TEXT = '#92400e';
const GRID = '#e5e7eb';
const AXIS = '#6b7280';

/** Escapes text for an XML element or a double-quoted attribute. */
function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** A coordinate rounded to one decimal, without a negative zero. */
function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return rounded === 0 ? '0' : String(rounded);
}

/** The smallest step of 1, 2 or 5 × 10^k that splits `span` into at most about `count` parts. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normal = raw / magnitude;
  return (normal <= 1 ? 1 : normal <= 2 ? 2 : normal <= 5 ? 5 : 10) * magnitude;
}

/** Multiples of `step` from 0 to `max`, labelled with as many decimals as the step needs. */
function ticks(max: number, step: number): { value: number; label: string }[] {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const result: { value: number; label: string }[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) {
    const value = i * step;
    result.push({ value, label: String(Number(value.toFixed(decimals))) });
  }
  return result;
}

/** The largest of `values`, without spreading a long array onto the stack. */
function peak(values: readonly number[]): number {
  return values.reduce((max, value) => Math.max(max, value), 0);
}

/** Throws unless the options can be drawn; returns the length the series share. */
function checkOptions(options: TimeChartOptions): number {
  const { series, xStep, bands = [] } = options;
  const first = series[0];
  if (!first) throw new Error('timeChart: no series to draw');
  const length = first.values.length;
  if (length === 0) throw new Error(`timeChart: series "${first.name}" has no values`);
  for (const line of series) {
    if (line.values.length !== length)
      throw new Error(
        `timeChart: series "${line.name}" has ${line.values.length} values, "${first.name}" has ${length}`,
      );
    line.values.forEach((value, index) => {
      if (!Number.isFinite(value) || value < 0)
        throw new Error(`timeChart: series "${line.name}" has ${value} at index ${index}`);
    });
  }
  if (!(Number.isFinite(xStep) && xStep > 0))
    throw new Error(`timeChart: xStep must be a positive number, not ${xStep}`);
  for (const band of bands)
    if (!(Number.isInteger(band.from) && Number.isInteger(band.to) && 0 <= band.from && band.from < band.to))
      throw new Error(`timeChart: band "${band.label}" needs whole indexes 0 <= from < to`);
  return length;
}

/**
 * Draws the series as lines over time, with the bands shaded behind them, as a standalone SVG
 * document. The y axis runs from 0 to a round number at or above the largest value (1 when all are
 * 0); the legend sits between the title and the plot, on as many rows as it needs. Throws when the
 * series are missing, of different lengths, or hold a negative or non-finite value.
 */
export function timeChart(options: TimeChartOptions): string {
  const length = checkOptions(options);
  const { title, xLabel, yLabel, xStep, series, bands = [], width = 800, height = 320 } = options;

  const dataMax = peak(series.map((line) => peak(line.values)));
  const yStep = niceStep(dataMax > 0 ? dataMax : 1, 5);
  const yMax = dataMax > 0 ? Math.ceil(dataMax / yStep - 1e-9) * yStep : 1;
  const yTicks = ticks(yMax, yStep);
  const xSpan = Math.max((length - 1) * xStep, xStep);
  const xTicks = ticks(xSpan, niceStep(xSpan, Math.max(2, Math.floor(width / 90))));

  // The legend: series first, then each band label once; wrapped to the plot's width.
  const yLabelWidth = Math.max(...yTicks.map((tick) => tick.label.length)) * CHAR_WIDTH;
  const left = Math.round(28 + yLabelWidth + 8);
  const right = width - 20;
  const legendItems = [
    ...series.map((line) => ({ text: line.name, line })),
    ...[...new Set(bands.map((band) => band.label))].map((text) => ({ text, line: undefined })),
  ];
  const legend: string[] = [];
  let [legendX, legendY] = [left, 44];
  for (const item of legendItems) {
    const itemWidth = 24 + item.text.length * CHAR_WIDTH;
    if (legendX > left && legendX + itemWidth > right) [legendX, legendY] = [left, legendY + LEGEND_ROW];
    legend.push(
      item.line
        ? `<line x1="${num(legendX)}" y1="${num(legendY)}" x2="${num(legendX + 18)}" y2="${num(legendY)}" stroke="${escapeXml(item.line.color)}" stroke-width="2"${item.line.dashed ? ' stroke-dasharray="6 4"' : ''}/>`
        : `<rect x="${num(legendX)}" y="${num(legendY - 6)}" width="18" height="12" fill="${BAND_FILL}" fill-opacity="${BAND_OPACITY}"/>`,
      `<text x="${num(legendX + 24)}" y="${num(legendY + 4)}">${escapeXml(item.text)}</text>`,
    );
    legendX += itemWidth + 18;
  }

  const top = legendY + LEGEND_ROW;
  const bottom = height - 44;
  if (bottom - top < 40) throw new Error(`timeChart: height ${height} leaves no room for the plot`);
  const x = (value: number) => left + (value / xSpan) * (right - left);
  const y = (value: number) => bottom - (value / yMax) * (bottom - top);

  const grid = [
    ...yTicks.map(
      (tick) =>
        `<line x1="${num(left)}" y1="${num(y(tick.value))}" x2="${num(right)}" y2="${num(y(tick.value))}" stroke="${GRID}"/>` +
        `<text x="${num(left - 6)}" y="${num(y(tick.value) + 4)}" text-anchor="end">${tick.label}</text>`,
    ),
    ...xTicks.map(
      (tick) =>
        `<line x1="${num(x(tick.value))}" y1="${num(top)}" x2="${num(x(tick.value))}" y2="${num(bottom)}" stroke="${GRID}"/>` +
        `<text x="${num(x(tick.value))}" y="${num(bottom + 16)}" text-anchor="middle">${tick.label}</text>`,
    ),
  ];
  const shaded = bands.map((band) => {
    const from = x(Math.min(band.from * xStep, xSpan));
    const to = x(Math.min(band.to * xStep, xSpan));
    return (
      `<rect x="${num(from)}" y="${num(top)}" width="${num(to - from)}" height="${num(bottom - top)}" fill="${BAND_FILL}" fill-opacity="${BAND_OPACITY}"/>` +
      `<text x="${num(from + 4)}" y="${num(top + 13)}" fill="${BAND_TEXT}" font-size="11">${escapeXml(band.label)}</text>`
    );
  });
  const lines = series.map((line) => {
    const points = line.values.map((value, i) => `${num(x(i * xStep))},${num(y(value))}`).join(' ');
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    return `<polyline points="${points}" fill="none" stroke="${escapeXml(line.color)}" stroke-width="2" stroke-linejoin="round"${dash}/>`;
  });

  const description =
    `${yLabel} over ${xLabel}, one value every ${num(xStep)} ${xLabel}: ` +
    series.map((line) => `${line.name} (peak ${num(peak(line.values))})`).join(', ') +
    (bands.length > 0
      ? `; shaded: ${bands.map((band) => `${band.label} (${num(band.from * xStep)} to ${num(band.to * xStep)} ${xLabel})`).join(', ')}`
      : '') +
    '.';
  const middleY = (top + bottom) / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${num(width)} ${num(height)}" width="${num(width)}" height="${num(height)}" role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="${FONT_SIZE}" fill="#111827">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<desc id="chart-desc">${escapeXml(description)}</desc>`,
    `<rect width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
    `<text x="${num(left)}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...legend,
    ...grid,
    ...shaded,
    `<path d="M${num(left)} ${num(top)}V${num(bottom)}H${num(right)}" fill="none" stroke="${AXIS}"/>`,
    ...lines,
    `<text x="${num((left + right) / 2)}" y="${num(height - 10)}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${num(middleY)}" text-anchor="middle" transform="rotate(-90 16 ${num(middleY)})">${escapeXml(yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
