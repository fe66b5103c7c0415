export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

const GAP = 4;

/**
 * Where the tray popover goes: against the tray icon, on the side away from the screen edge the icon sits
 * on (below a top menu bar, above a bottom taskbar, beside a side taskbar), kept inside the work area.
 * Linux trays often report empty bounds; the cursor position (where the click was) stands in for them.
 */
export function popoverPosition(tray: Rect, size: { width: number; height: number }, workArea: Rect, cursor: Point): Point {
  const anchor: Rect = tray.width > 0 && tray.height > 0 ? tray : { x: cursor.x, y: cursor.y, width: 0, height: 0 };
  const centerX = anchor.x + anchor.width / 2;
  const centerY = anchor.y + anchor.height / 2;
  const edge = nearestEdge({ x: centerX, y: centerY }, workArea);
  let x: number;
  let y: number;
  switch (edge) {
    case 'top':
      x = centerX - size.width / 2;
      y = Math.max(anchor.y + anchor.height, workArea.y) + GAP;
      break;
    case 'bottom':
      x = centerX - size.width / 2;
      y = Math.min(anchor.y, workArea.y + workArea.height) - size.height - GAP;
      break;
    case 'left':
      x = Math.max(anchor.x + anchor.width, workArea.x) + GAP;
      y = centerY - size.height / 2;
      break;
    case 'right':
      x = Math.min(anchor.x, workArea.x + workArea.width) - size.width - GAP;
      y = centerY - size.height / 2;
      break;
  }
  return {
    x: Math.round(clamp(x, workArea.x, workArea.x + workArea.width - size.width)),
    y: Math.round(clamp(y, workArea.y, workArea.y + workArea.height - size.height)),
  };
}

type Edge = 'top' | 'bottom' | 'left' | 'right';

function nearestEdge(p: Point, area: Rect): Edge {
  const distances: [Edge, number][] = [
    ['top', p.y - area.y],
    ['bottom', area.y + area.height - p.y],
    ['left', p.x - area.x],
    ['right', area.x + area.width - p.x],
  ];
  return distances.reduce((best, d) => (d[1] < best[1] ? d : best))[0];
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max));
}
