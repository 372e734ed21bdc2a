import { describe, expect, it } from 'vitest';
import { type ChartSeries, type TimeChartOptions, timeChart } from '../scripts/lib/svg-chart.js';

const TAG =
  /^<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>/;
const TEXT = /^(?:[^<&]|&(?:amp|lt|gt|quot|apos);)+/;

/**
 * Checks that `svg` is one well-formed element of the subset timeChart writes (elements, double-
 * quoted attributes, text, the five predefined entities) and returns the elements' names in order.
 */
function wellFormed(svg: string): string[] {
  const open: string[] = [];
  const names: string[] = [];
  let rest = svg.trimEnd();
  while (rest.length > 0) {
    const tag = TAG.exec(rest);
    if (tag) {
      const [whole, closing, name = '', , selfClosing] = tag;
      if (closing) {
        if (open.pop() !== name) throw new Error(`</${name}> closes nothing open at "${rest.slice(0, 40)}"`);
      } else {
        if (open.length === 0 && names.length > 0) throw new Error(`a second root element <${name}>`);
        names.push(name);
        if (!selfClosing) open.push(name);
      }
      rest = rest.slice(whole.length);
      continue;
    }
    const text = TEXT.exec(rest);
    if (!text || (open.length === 0 && text[0].trim() !== ''))
      throw new Error(`not well-formed at "${rest.slice(0, 40)}"`);
    rest = rest.slice(text[0].length);
  }
  if (open.length > 0) throw new Error(`unclosed <${open.join('>, <')}>`);
  return names;
}

const surge = Array.from({ length: 30 }, (_, i) => (i >= 10 && i < 20 ? 30 + (i % 8) : 3));
const series: ChartSeries[] = [
  { name: 'offered', values: surge, color: '#2563eb' },
  { name: 'blocked', values: surge.map((value, i) => (i >= 10 && i < 20 ? value - 5 : 0)), color: '#dc2626' },
  { name: 'answered', values: surge.map(() => 3), color: '#16a34a', dashed: true },
];
const options: TimeChartOptions = {
  title: 'Screening under a surge',
  xLabel: 'seconds',
  yLabel: 'calls per second',
  xStep: 0.5,
  series,
  bands: [{ from: 10, to: 20, label: 'surge on' }],
};

/** The labels of the y axis, bottom to top. */
function yTickLabels(svg: string): number[] {
  return [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="end">([\d.]+)<\/text>/g)].map((m) =>
    Number(m[1]),
  );
}

describe('timeChart', () => {
  it('is checked by a well-formedness test that catches broken documents', () => {
    expect(wellFormed('<svg a="1"><g><text>x &amp; y</text></g><line/></svg>')).toEqual([
      'svg',
      'g',
      'text',
      'line',
    ]);
    expect(() => wellFormed('<svg><g></svg>')).toThrow('closes nothing open');
    expect(() => wellFormed('<svg><text>a < b</text></svg>')).toThrow('not well-formed');
    expect(() => wellFormed('<svg><text>a & b</text></svg>')).toThrow('not well-formed');
    expect(() => wellFormed('<svg a="x"y"/>')).toThrow('not well-formed');
    expect(() => wellFormed('<svg><g>')).toThrow('unclosed <svg>, <g>');
    expect(() => wellFormed('<svg/><svg/>')).toThrow('a second root element');
  });

  it('writes one well-formed, standalone SVG document', () => {
    const svg = timeChart(options);
    const names = wellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(names.slice(1, 3)).toEqual(['title', 'desc']);
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 800 320" width="800" height="320" role="img" aria-labelledby="chart-title chart-desc"/,
    );
    expect(svg).toContain('<title id="chart-title">Screening under a surge</title>');
    expect(svg).toMatch(
      /<desc id="chart-desc">calls per second over seconds[^<]*surge on \(5 to 10 seconds\)/,
    );
    expect(svg).not.toMatch(/<script|<style|@import|href=|url\(/);
    expect(svg).toContain('>seconds</text>');
    expect(svg).toContain('>calls per second</text>');
  });

  it('honours the width and height it is given', () => {
    const svg = timeChart({ ...options, width: 640, height: 400 });
    expect(svg).toContain('viewBox="0 0 640 400" width="640" height="400"');
    expect(wellFormed(svg)[0]).toBe('svg');
  });

  it('gives the same bytes for the same input, with at most one decimal in every number', () => {
    const svg = timeChart(options);
    expect(timeChart({ ...options, series: series.map((line) => ({ ...line })) })).toBe(svg);
    expect(svg.match(/\d+\.\d{2,}/g)).toBeNull();
  });

  it('escapes text in the title, the labels and the legend', () => {
    const nasty = `<&>"'`;
    const svg = timeChart({
      ...options,
      title: `a ${nasty} b`,
      xLabel: nasty,
      series: [{ ...series[0], name: nasty } as ChartSeries],
      bands: [{ from: 1, to: 2, label: nasty }],
    });
    wellFormed(svg);
    expect(svg).toContain('<title id="chart-title">a &lt;&amp;&gt;&quot;&apos; b</title>');
    expect(svg.split('&lt;&amp;&gt;&quot;&apos;').length - 1).toBeGreaterThanOrEqual(6);
    expect(svg).not.toContain(nasty);
  });

  it('draws one polyline a series, with a point for every value', () => {
    const svg = timeChart(options);
    const lines = [...svg.matchAll(/<polyline points="([^"]*)"[^>]*stroke="([^"]+)"[^>]*\/>/g)];
    expect(lines.map((m) => m[2])).toEqual(series.map((line) => line.color));
    for (const m of lines) {
      const points = (m[1] ?? '').split(' ');
      expect(points).toHaveLength(surge.length);
      for (const point of points) expect(point).toMatch(/^\d+(\.\d)?,\d+(\.\d)?$/);
    }
    // Only the dashed series is dashed, in the plot and in the legend.
    const dashed = svg.split('\n').filter((line) => line.includes('stroke-dasharray'));
    expect(dashed).toHaveLength(2);
    for (const line of dashed) expect(line).toContain('stroke="#16a34a"');
    for (const line of series) expect(svg).toContain(`>${line.name}</text>`);
  });

  it('shades the band behind the lines and lists its label in the legend', () => {
    const svg = timeChart(options);
    const band =
      /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="#f59e0b" fill-opacity="0.2"\/>/g;
    const rects = [...svg.matchAll(band)];
    // The legend's swatch (18 wide) and the band in the plot.
    expect(rects.map((m) => Number(m[2]))).toContain(18);
    const plotBand = rects.find((m) => Number(m[2]) !== 18);
    expect(plotBand).toBeDefined();
    // Index 10 to 20 of 30 values: 5 to 10 seconds of an axis of 14.5.
    const [, left = 0, right = 0] = (/<path d="M([\d.]+) [\d.]+V[\d.]+H([\d.]+)"/.exec(svg) ?? []).map(
      Number,
    );
    const scale = (right - left) / 14.5;
    expect(Number(plotBand?.[1])).toBeCloseTo(left + 5 * scale, 0);
    expect(Number(plotBand?.[2])).toBeCloseTo(5 * scale, 0);
    expect(svg.indexOf(plotBand?.[0] ?? '')).toBeLessThan(svg.indexOf('<polyline'));
    expect(svg.split('>surge on</text>').length - 1).toBe(2);
    expect(timeChart({ ...options, bands: [] })).not.toContain('surge on');
  });

  it('runs the y axis from 0 to a round number at or above the largest value', () => {
    expect(yTickLabels(timeChart(options))).toEqual([0, 10, 20, 30, 40]);
    const at = (max: number) =>
      yTickLabels(
        timeChart({ ...options, series: [{ ...series[0], values: [0, max, 1] } as ChartSeries], bands: [] }),
      );
    expect(at(37)).toEqual([0, 10, 20, 30, 40]);
    expect(at(40)).toEqual([0, 10, 20, 30, 40]);
    expect(at(1234)).toEqual([0, 500, 1000, 1500]);
    expect(at(2.3)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    const zeros = timeChart({
      ...options,
      series: [{ ...series[0], values: [0, 0, 0] } as ChartSeries],
      bands: [],
    });
    expect(yTickLabels(zeros).at(-1)).toBe(1);
  });

  it('labels the x axis in xLabel units with round steps', () => {
    const svg = timeChart(options);
    const labels = [...svg.matchAll(/text-anchor="middle">([\d.]+)<\/text>/g)].map((m) => Number(m[1]));
    // 30 values half a second apart: 0 to 14.5 seconds.
    expect(labels).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it('throws a clear error for input it cannot draw', () => {
    const line = series[0] as ChartSeries;
    expect(() => timeChart({ ...options, series: [] })).toThrow('timeChart: no series to draw');
    expect(() => timeChart({ ...options, series: [{ ...line, values: [] }] })).toThrow(
      'series "offered" has no values',
    );
    expect(() =>
      timeChart({ ...options, series: [line, { ...line, name: 'short', values: [1, 2] }] }),
    ).toThrow('series "short" has 2 values, "offered" has 30');
    expect(() => timeChart({ ...options, series: [{ ...line, values: [1, Number.NaN, 2] }] })).toThrow(
      'series "offered" has NaN at index 1',
    );
    expect(() =>
      timeChart({ ...options, series: [{ ...line, values: [1, 2, Number.POSITIVE_INFINITY] }] }),
    ).toThrow('series "offered" has Infinity at index 2');
    expect(() => timeChart({ ...options, series: [{ ...line, values: [1, -1] }] })).toThrow(
      'series "offered" has -1 at index 1',
    );
    expect(() => timeChart({ ...options, xStep: 0 })).toThrow('xStep must be a positive number');
    expect(() => timeChart({ ...options, bands: [{ from: 5, to: 5, label: 'empty' }] })).toThrow(
      'band "empty" needs whole indexes',
    );
    expect(() => timeChart({ ...options, height: 100 })).toThrow('leaves no room for the plot');
  });
});
