import { describe, expect, it } from 'vitest';
import { popoverPosition } from '../../../electron/tray-position.js';

const SIZE = { width: 380, height: 520 };
const cursor = { x: 0, y: 0 };

describe('popoverPosition', () => {
  it('Windows, taskbar at the bottom: above the icon, centred on it, inside the work area', () => {
    const workArea = { x: 0, y: 0, width: 1920, height: 1040 };
    const tray = { x: 1700, y: 1045, width: 24, height: 30 };
    expect(popoverPosition(tray, SIZE, workArea, cursor)).toEqual({ x: 1522, y: 516 });
  });

  it('macOS menu bar at the top: below the icon', () => {
    const workArea = { x: 0, y: 25, width: 1440, height: 875 };
    const tray = { x: 1200, y: 0, width: 22, height: 24 };
    expect(popoverPosition(tray, SIZE, workArea, cursor)).toEqual({ x: 1021, y: 29 });
  });

  it('an icon in the corner: pushed back inside the screen', () => {
    const workArea = { x: 0, y: 0, width: 1920, height: 1040 };
    const tray = { x: 1900, y: 1045, width: 20, height: 30 };
    expect(popoverPosition(tray, SIZE, workArea, cursor)).toEqual({ x: 1540, y: 516 });
  });

  it('a taskbar on the left: beside the icon', () => {
    const workArea = { x: 60, y: 0, width: 1860, height: 1080 };
    const tray = { x: 10, y: 900, width: 40, height: 40 };
    expect(popoverPosition(tray, SIZE, workArea, cursor)).toEqual({ x: 64, y: 560 });
  });

  it('Linux trays that report empty bounds: placed at the click', () => {
    const workArea = { x: 0, y: 32, width: 1920, height: 1048 };
    expect(popoverPosition({ x: 0, y: 0, width: 0, height: 0 }, SIZE, workArea, { x: 1800, y: 10 })).toEqual({ x: 1540, y: 36 });
  });

  it('a second monitor to the left (negative coordinates) stays on that monitor', () => {
    const workArea = { x: -1280, y: 0, width: 1280, height: 984 };
    const tray = { x: -100, y: 990, width: 24, height: 30 };
    const p = popoverPosition(tray, SIZE, workArea, cursor);
    expect(p.x + SIZE.width).toBeLessThanOrEqual(0);
    expect(p).toEqual({ x: -380, y: 460 });
  });
});
