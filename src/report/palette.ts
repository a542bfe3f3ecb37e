/**
 * Colours and glyphs. Series use the Okabe–Ito palette (Okabe & Ito, "Color Universal
 * Design", 2008, https://jfly.uni-koeln.de/color/; recommended by B. Wong, "Points of view:
 * Color blindness", Nature Methods 8:441, 2011): eight colours distinguishable under the
 * common colour-vision deficiencies. Yellow is last because it is faint on white. Marker
 * kinds differ by shape as well as colour, so they stay readable in greyscale print.
 */

export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** Series colours, in order of use. */
export const SERIES_COLORS: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.vermillion,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.skyBlue,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
];

export const NEUTRAL = '#6B7280';

export type Shape = 'down' | 'up' | 'square' | 'diamond' | 'circle' | 'cross';

export interface MarkerStyle {
  color: string;
  shape: Shape;
  /** Outline only: for things that did not act (shadow decisions). */
  hollow: boolean;
  /** The same shape as a text glyph, for the HTML legend. */
  glyph: string;
  /** Human name for the legend. */
  name: string;
}

const MARKERS: Record<string, MarkerStyle> = {
  set: { color: OKABE_ITO.blue, shape: 'down', hollow: false, glyph: '▼', name: 'command set' },
  renew: { color: OKABE_ITO.skyBlue, shape: 'down', hollow: false, glyph: '▼', name: 'lease renewed' },
  revert: { color: OKABE_ITO.orange, shape: 'up', hollow: false, glyph: '▲', name: 'reverted' },
  expired: { color: OKABE_ITO.orange, shape: 'up', hollow: true, glyph: '△', name: 'lease expired' },
  blocked: { color: OKABE_ITO.vermillion, shape: 'cross', hollow: false, glyph: '✕', name: 'blocked by guardrail' },
  shadow: { color: NEUTRAL, shape: 'down', hollow: true, glyph: '▽', name: 'shadow decision' },
  escalated: { color: OKABE_ITO.reddishPurple, shape: 'diamond', hollow: false, glyph: '◆', name: 'escalated' },
  'outcome-improved': {
    color: OKABE_ITO.bluishGreen,
    shape: 'circle',
    hollow: false,
    glyph: '●',
    name: 'outcome: improved',
  },
  'outcome-worsened': {
    color: OKABE_ITO.vermillion,
    shape: 'circle',
    hollow: false,
    glyph: '●',
    name: 'outcome: worsened',
  },
  'outcome-unchanged': { color: NEUTRAL, shape: 'circle', hollow: true, glyph: '○', name: 'outcome: unchanged' },
};

export function markerStyle(kind: string): MarkerStyle {
  return Object.prototype.hasOwnProperty.call(MARKERS, kind)
    ? MARKERS[kind]
    : { color: NEUTRAL, shape: 'square', hollow: false, glyph: '■', name: kind };
}

export interface SpanStyle {
  color: string;
  opacity: number;
}

const SPANS: Record<string, SpanStyle> = {
  lease: { color: OKABE_ITO.blue, opacity: 0.07 },
  incident: { color: OKABE_ITO.vermillion, opacity: 0.12 },
  outage: { color: OKABE_ITO.black, opacity: 0.1 },
  window: { color: OKABE_ITO.reddishPurple, opacity: 0.12 },
};

export function spanStyle(kind: string): SpanStyle {
  return Object.prototype.hasOwnProperty.call(SPANS, kind) ? SPANS[kind] : { color: NEUTRAL, opacity: 0.1 };
}

/** SVG path for a marker glyph centred on (0, 0), about 2r across. */
export function shapePath(shape: Shape, r: number): string {
  switch (shape) {
    case 'down':
      return `M${-r} ${-r}H${r}L0 ${r}Z`;
    case 'up':
      return `M${-r} ${r}H${r}L0 ${-r}Z`;
    case 'square':
      return `M${-r * 0.8} ${-r * 0.8}h${r * 1.6}v${r * 1.6}h${-r * 1.6}Z`;
    case 'diamond':
      return `M0 ${-r}L${r} 0L0 ${r}L${-r} 0Z`;
    case 'circle':
      return `M${-r} 0a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0Z`;
    case 'cross':
      return `M${-r} ${-r}L${r} ${r}M${r} ${-r}L${-r} ${r}`;
  }
}
