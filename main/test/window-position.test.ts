import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import {
  BLUR_TOGGLE_GRACE_MS,
  PopupController,
  type PopupWindowLike,
  type ScreenLike,
} from '../src/popup.js';
import {
  nearestDisplay,
  popupPosition,
  taskbarEdge,
  type DisplayLike,
  type Rect,
} from '../src/window-position.js';

const WINDOW = { width: 380, height: 620 };
const FULL: Rect = { x: 0, y: 0, width: 1920, height: 1080 };

/** A 1920×1080 display at (x, y) with a 40-DIP taskbar on `edge`. */
function display(edge: 'top' | 'bottom' | 'left' | 'right' | 'none', x = 0, y = 0): DisplayLike {
  const bounds = { ...FULL, x, y };
  const bar = 40;
  const workArea =
    edge === 'top'
      ? { x, y: y + bar, width: 1920, height: 1080 - bar }
      : edge === 'bottom'
        ? { x, y, width: 1920, height: 1080 - bar }
        : edge === 'left'
          ? { x: x + bar, y, width: 1920 - bar, height: 1080 }
          : edge === 'right'
            ? { x, y, width: 1920 - bar, height: 1080 }
            : { ...bounds };
  return { bounds, workArea };
}

const inside = (area: Rect, x: number, y: number, w = WINDOW.width, h = WINDOW.height): boolean =>
  x >= area.x && y >= area.y && x + w <= area.x + area.width && y + h <= area.y + area.height;

describe('taskbarEdge', () => {
  it.each(['top', 'bottom', 'left', 'right'] as const)('finds a %s taskbar from the work area', (edge) => {
    expect(taskbarEdge(display(edge))).toBe(edge);
  });
  it('has none when the work area is the whole display (auto-hide)', () => {
    expect(taskbarEdge(display('none'))).toBeUndefined();
  });
});

describe('popupPosition: every taskbar edge', () => {
  it('bottom taskbar (Windows): above the bar, centred on the icon', () => {
    const tray = { x: 1700, y: 1048, width: 24, height: 24 };
    const placed = popupPosition({
      trayBounds: tray,
      cursor: { x: 1710, y: 1060 },
      window: WINDOW,
      displays: [display('bottom')],
      gap: 6,
    });
    expect(placed).toEqual({ x: 1712 - 190, y: 1040 - 620 - 6, edge: 'bottom', display: 0 });
  });

  it('top bar (macOS menu bar, GNOME): below the bar', () => {
    const tray = { x: 1500, y: 8, width: 22, height: 22 };
    const placed = popupPosition({
      trayBounds: tray,
      cursor: { x: 1510, y: 15 },
      window: WINDOW,
      displays: [display('top')],
      gap: 6,
    });
    expect(placed).toEqual({ x: 1511 - 190, y: 46, edge: 'top', display: 0 });
  });

  it('left taskbar: beside it, centred vertically on the icon', () => {
    const tray = { x: 8, y: 900, width: 24, height: 24 };
    const placed = popupPosition({
      trayBounds: tray,
      cursor: { x: 20, y: 910 },
      window: WINDOW,
      displays: [display('left')],
      gap: 0,
    });
    expect(placed.edge).toBe('left');
    expect(placed.x).toBe(40);
    // Centred at 912 would overflow the bottom: clamped to the work area.
    expect(placed.y).toBe(1080 - 620);
  });

  it('right taskbar: beside it', () => {
    const tray = { x: 1888, y: 500, width: 24, height: 24 };
    const placed = popupPosition({
      trayBounds: tray,
      cursor: { x: 1900, y: 510 },
      window: WINDOW,
      displays: [display('right')],
      gap: 0,
    });
    expect(placed).toEqual({ x: 1880 - 380, y: 512 - 310, edge: 'right', display: 0 });
  });

  it('an icon at the far corner never pushes the popup off the work area', () => {
    const tray = { x: 1910, y: 1050, width: 24, height: 24 };
    const placed = popupPosition({
      trayBounds: tray,
      cursor: { x: 0, y: 0 },
      window: WINDOW,
      displays: [display('bottom')],
    });
    expect(placed.x).toBe(1920 - 380);
    expect(inside(display('bottom').workArea, placed.x, placed.y)).toBe(true);
  });

  it('no tray bounds (Linux AppIndicator): goes by the cursor, near its nearest edge', () => {
    const placed = popupPosition({
      trayBounds: { x: 0, y: 0, width: 0, height: 0 },
      cursor: { x: 1800, y: 12 },
      window: WINDOW,
      displays: [display('top')],
    });
    expect(placed.edge).toBe('top');
    expect(placed.y).toBe(40);
    expect(placed.x).toBe(1920 - 380);
  });

  it('auto-hidden taskbar: the nearest edge to the icon', () => {
    const placed = popupPosition({
      trayBounds: { x: 1880, y: 1060, width: 20, height: 20 },
      cursor: { x: 0, y: 0 },
      window: WINDOW,
      displays: [display('none')],
    });
    expect(placed.edge).toBe('bottom');
    expect(placed.y).toBe(1080 - 620);
  });
});

describe('popupPosition: several displays', () => {
  const left = display('bottom', -1920, 0);
  const main = display('bottom', 0, 0);
  const above = display('top', 0, -1080);

  it('opens on the display holding the icon (negative coordinates included)', () => {
    const placed = popupPosition({
      trayBounds: { x: -300, y: 1050, width: 24, height: 24 },
      cursor: { x: 0, y: 0 },
      window: WINDOW,
      displays: [main, left, above],
    });
    expect(placed.display).toBe(1);
    expect(inside(left.workArea, placed.x, placed.y)).toBe(true);
    const top = popupPosition({
      trayBounds: { x: 900, y: -1070, width: 24, height: 24 },
      cursor: { x: 0, y: 0 },
      window: WINDOW,
      displays: [main, left, above],
    });
    expect(top).toMatchObject({ display: 2, edge: 'top', y: -1040 });
  });

  it('an icon off every screen (unplugged monitor) lands on the nearest display, wholly visible', () => {
    const placed = popupPosition({
      trayBounds: { x: 5000, y: 3000, width: 24, height: 24 },
      cursor: { x: 5000, y: 3000 },
      window: WINDOW,
      displays: [left, main],
    });
    expect(placed.display).toBe(1);
    expect(inside(main.workArea, placed.x, placed.y)).toBe(true);
  });

  it('nearestDisplay prefers the one containing the point', () => {
    expect(nearestDisplay([main, left], { x: -10, y: 10 })).toBe(1);
    expect(nearestDisplay([main, left], { x: 10, y: 10 })).toBe(0);
  });

  it('a window larger than the work area keeps its top-left corner visible', () => {
    const small: DisplayLike = {
      bounds: { x: 0, y: 0, width: 300, height: 400 },
      workArea: { x: 0, y: 0, width: 300, height: 360 },
    };
    const placed = popupPosition({
      trayBounds: { x: 280, y: 370, width: 16, height: 16 },
      cursor: { x: 0, y: 0 },
      window: WINDOW,
      displays: [small],
    });
    expect(placed).toMatchObject({ x: 0, y: 0 });
  });

  it('whatever the inputs, the popup is inside the chosen work area (property)', () => {
    const displays = [
      display('bottom'),
      display('left', 1920, 0),
      display('top', -1920, -200),
      display('right', 0, 1080),
    ];
    fc.assert(
      fc.property(
        fc.record({
          x: fc.integer({ min: -5000, max: 5000 }),
          y: fc.integer({ min: -5000, max: 5000 }),
          width: fc.integer({ min: 0, max: 64 }),
          height: fc.integer({ min: 0, max: 64 }),
        }),
        fc.record({ x: fc.integer({ min: -5000, max: 5000 }), y: fc.integer({ min: -5000, max: 5000 }) }),
        (tray, cursor) => {
          const placed = popupPosition({ trayBounds: tray, cursor, window: WINDOW, displays, gap: 6 });
          const area = (displays[placed.display] as DisplayLike).workArea;
          expect(inside(area, placed.x, placed.y)).toBe(true);
          expect(Number.isInteger(placed.x) && Number.isInteger(placed.y)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A window fake that records what the controller did (docs/architecture.md §4.9: WindowLike). */
class FakeWindow implements PopupWindowLike {
  visible = false;
  destroyed = false;
  position: [number, number] | undefined;
  focused = 0;
  private blur: (() => void) | undefined;
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isVisible(): boolean {
    return this.visible;
  }
  getSize(): number[] {
    return [WINDOW.width, WINDOW.height];
  }
  setPosition(x: number, y: number): void {
    this.position = [x, y];
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused += 1;
  }
  hide(): void {
    this.visible = false;
  }
  on(_event: 'blur', listener: () => void): void {
    this.blur = listener;
  }
  removeListener(_event: 'blur', listener: () => void): void {
    if (this.blur === listener) this.blur = undefined;
  }
  fireBlur(): void {
    this.blur?.();
  }
  get listening(): boolean {
    return this.blur !== undefined;
  }
}

describe('PopupController (menubar behaviour)', () => {
  const screenLike: ScreenLike = {
    displays: () => [display('bottom')],
    cursor: () => ({ x: 1700, y: 1060 }),
    trayBounds: () => ({ x: 1700, y: 1048, width: 24, height: 24 }),
  };

  it('shows positioned and focused, toggles, hides on blur', () => {
    const window = new FakeWindow();
    const clock = new FakeClock();
    const popup = new PopupController(window, screenLike, clock);
    popup.toggle();
    expect(window.visible).toBe(true);
    expect(window.position).toEqual([1712 - 190, 1040 - 620 - 6]);
    expect(window.focused).toBe(1);
    popup.toggle();
    expect(window.visible).toBe(false);
    popup.show();
    window.fireBlur();
    expect(window.visible).toBe(false);
    popup.dispose();
    expect(window.listening).toBe(false);
  });

  it('the tray click that blurred the popup closes it rather than reopening it', () => {
    const window = new FakeWindow();
    const clock = new FakeClock();
    const popup = new PopupController(window, screenLike, clock);
    popup.show();
    window.fireBlur(); // the click on the tray icon takes focus first...
    clock.advance(50);
    popup.toggle(); // ...then arrives as a click
    expect(window.visible).toBe(false);
    clock.advance(BLUR_TOGGLE_GRACE_MS);
    popup.toggle();
    expect(window.visible).toBe(true);
  });

  it('stays open on blur while pinned (developer tools)', () => {
    const window = new FakeWindow();
    const popup = new PopupController(window, screenLike, new FakeClock(), false);
    popup.show();
    window.fireBlur();
    expect(window.visible).toBe(true);
  });

  it('does nothing with a destroyed window', () => {
    const window = new FakeWindow();
    const popup = new PopupController(window, screenLike, new FakeClock());
    window.destroyed = true;
    popup.toggle();
    popup.show();
    expect(window.visible).toBe(false);
  });
});
