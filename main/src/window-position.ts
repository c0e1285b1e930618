// Where the tray popup goes (max-mapper/menubar's habit: a pure function of the tray icon's
// bounds, the displays and the window size). The popup opens against the taskbar the icon
// sits in — below a top bar (macOS menu bar, GNOME), above a bottom taskbar (Windows
// default), beside a left or right one — centred on the icon, and always wholly inside the
// display's work area, whatever the icon reports (Linux trays often report nothing, and an
// icon on a display that was just unplugged reports coordinates on no display at all).

export interface Point {
  x: number;
  y: number;
}
export interface Size {
  width: number;
  height: number;
}
export interface Rect extends Point, Size {}

/** Electron's Display, reduced to what placement needs. */
export interface DisplayLike {
  bounds: Rect;
  /** The bounds minus taskbars, docks and menu bars. */
  workArea: Rect;
}

export type TaskbarEdge = 'top' | 'bottom' | 'left' | 'right';

export interface PopupPlacementInput {
  /** Tray.getBounds(); absent or empty where the platform does not say (most Linux trays). */
  trayBounds?: Rect | undefined;
  /** screen.getCursorScreenPoint(): the click that opened the popup is near the icon. */
  cursor: Point;
  window: Size;
  displays: readonly DisplayLike[];
  /** Gap between the taskbar and the popup, in DIPs. */
  gap?: number;
}

export interface PopupPlacement extends Point {
  edge: TaskbarEdge;
  /** Index in `displays` of the display the popup is on. */
  display: number;
}

const right = (rect: Rect): number => rect.x + rect.width;
const bottom = (rect: Rect): number => rect.y + rect.height;

function contains(rect: Rect, point: Point): boolean {
  return point.x >= rect.x && point.x < right(rect) && point.y >= rect.y && point.y < bottom(rect);
}

/** Squared distance from a point to a rectangle (0 inside). */
function distance2(rect: Rect, point: Point): number {
  const dx = point.x < rect.x ? rect.x - point.x : point.x >= right(rect) ? point.x - right(rect) + 1 : 0;
  const dy = point.y < rect.y ? rect.y - point.y : point.y >= bottom(rect) ? point.y - bottom(rect) + 1 : 0;
  return dx * dx + dy * dy;
}

/** The display containing the point, else the nearest one (screen.getDisplayNearestPoint's rule). */
export function nearestDisplay(displays: readonly DisplayLike[], point: Point): number {
  let best = -1;
  let bestDistance = Infinity;
  displays.forEach((display, index) => {
    if (best !== -1 && bestDistance === 0) return;
    const d = contains(display.bounds, point) ? 0 : distance2(display.bounds, point);
    if (d < bestDistance) {
      best = index;
      bestDistance = d;
    }
  });
  return best;
}

/** The edge a display's taskbar is on, from where its work area was cut (undefined: none, or auto-hidden). */
export function taskbarEdge(display: DisplayLike): TaskbarEdge | undefined {
  const { bounds, workArea } = display;
  const cut = {
    top: workArea.y - bounds.y,
    bottom: bottom(bounds) - bottom(workArea),
    left: workArea.x - bounds.x,
    right: right(bounds) - right(workArea),
  };
  let edge: TaskbarEdge | undefined;
  let largest = 0;
  for (const side of ['bottom', 'top', 'left', 'right'] as const) {
    if (cut[side] > largest) {
      edge = side;
      largest = cut[side];
    }
  }
  return edge;
}

/** The work-area edge nearest to a point: where an auto-hidden taskbar (or an unknown tray) is. */
function nearestEdge(area: Rect, point: Point): TaskbarEdge {
  const distances: Array<[TaskbarEdge, number]> = [
    ['bottom', Math.abs(bottom(area) - point.y)],
    ['top', Math.abs(point.y - area.y)],
    ['left', Math.abs(point.x - area.x)],
    ['right', Math.abs(right(area) - point.x)],
  ];
  distances.sort((a, b) => a[1] - b[1]);
  return (distances[0] as [TaskbarEdge, number])[0];
}

function clamp(value: number, min: number, max: number): number {
  // A window larger than the area starts at its top-left corner: the title and the top of
  // the content stay reachable.
  if (max < min) return min;
  return Math.min(Math.max(value, min), max);
}

export function popupPosition(input: PopupPlacementInput): PopupPlacement {
  if (input.displays.length === 0)
    throw new Error('assertion failed: popupPosition needs at least one display');
  const gap = input.gap ?? 0;
  const tray = input.trayBounds;
  const anchorRect: Rect =
    tray !== undefined && (tray.width > 0 || tray.height > 0)
      ? tray
      : { ...input.cursor, width: 0, height: 0 };
  const anchor: Point = { x: anchorRect.x + anchorRect.width / 2, y: anchorRect.y + anchorRect.height / 2 };
  const index = nearestDisplay(input.displays, anchor);
  const display = input.displays[index] as DisplayLike;
  const area = display.workArea;
  const { width, height } = input.window;

  // The taskbar the icon is in: the display's own, unless the icon is plainly elsewhere
  // (inside the work area, far from that bar: an auto-hidden or floating panel), then the
  // nearest edge of the work area.
  let edge = taskbarEdge(display);
  if (edge === undefined || (contains(area, anchor) && !nearEdge(area, anchor, edge)))
    edge = nearestEdge(area, anchor);

  let x: number;
  let y: number;
  switch (edge) {
    case 'top':
      x = anchor.x - width / 2;
      y = area.y + gap;
      break;
    case 'bottom':
      x = anchor.x - width / 2;
      y = bottom(area) - height - gap;
      break;
    case 'left':
      x = area.x + gap;
      y = anchor.y - height / 2;
      break;
    case 'right':
      x = right(area) - width - gap;
      y = anchor.y - height / 2;
      break;
    default: {
      const never: never = edge;
      throw new Error(`unexpected edge ${String(never)}`);
    }
  }
  return {
    x: Math.round(clamp(x, area.x, right(area) - width)),
    y: Math.round(clamp(y, area.y, bottom(area) - height)),
    edge,
    display: index,
  };
}

/** Whether a point inside the work area is close to one of its edges (within a quarter of the area). */
function nearEdge(area: Rect, point: Point, edge: TaskbarEdge): boolean {
  switch (edge) {
    case 'top':
      return point.y - area.y < area.height / 4;
    case 'bottom':
      return bottom(area) - point.y < area.height / 4;
    case 'left':
      return point.x - area.x < area.width / 4;
    case 'right':
      return right(area) - point.x < area.width / 4;
    default: {
      const never: never = edge;
      throw new Error(`unexpected edge ${String(never)}`);
    }
  }
}
