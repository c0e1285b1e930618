// The tray popup's behaviour (max-mapper/menubar's habit): created hidden, positioned by
// popupPosition() each time it is shown, hidden when it loses focus. Driven through small
// adapters (docs/architecture.md §4.9: `WindowLike`) so it is tested without Electron.
import type { Clock } from '../../gateway/src/index.js';
import { popupPosition, type DisplayLike, type Point, type Rect } from './window-position.js';

/** The BrowserWindow methods the popup uses. */
export interface PopupWindowLike {
  isDestroyed(): boolean;
  isVisible(): boolean;
  getSize(): number[];
  setPosition(x: number, y: number): void;
  show(): void;
  focus(): void;
  hide(): void;
  on(event: 'blur', listener: () => void): unknown;
  removeListener(event: 'blur', listener: () => void): unknown;
}

/** Where things are on screen, read at the moment the popup opens. */
export interface ScreenLike {
  displays(): readonly DisplayLike[];
  cursor(): Point;
  /** The tray icon's bounds, when the platform reports them. */
  trayBounds(): Rect | undefined;
}

/** A click on the tray icon steals focus from the popup first: a blur this recent was that
 *  click, and the click means "close", not "reopen" (menubar's double-toggle problem). */
export const BLUR_TOGGLE_GRACE_MS = 300;
/** Gap between the taskbar and the popup, in DIPs. */
export const POPUP_GAP = 6;

export class PopupController {
  private hiddenByBlurAt = -Infinity;
  private readonly onBlur = (): void => {
    if (!this.hideOnBlur || this.window.isDestroyed() || !this.window.isVisible()) return;
    this.hiddenByBlurAt = this.clock.monotonic();
    this.window.hide();
  };

  constructor(
    private readonly window: PopupWindowLike,
    private readonly screen: ScreenLike,
    private readonly clock: Clock,
    /** False while developer tools are open, or when the user pins the popup. */
    public hideOnBlur = true,
  ) {
    window.on('blur', this.onBlur);
  }

  /** The tray icon was clicked. */
  toggle(): void {
    if (this.window.isDestroyed()) return;
    if (this.window.isVisible()) {
      this.window.hide();
      return;
    }
    if (this.clock.monotonic() - this.hiddenByBlurAt < BLUR_TOGGLE_GRACE_MS) return;
    this.show();
  }

  /** Positions the popup next to the tray icon and shows it focused. */
  show(): void {
    if (this.window.isDestroyed()) return;
    const [width = 0, height = 0] = this.window.getSize();
    const placement = popupPosition({
      trayBounds: this.screen.trayBounds(),
      cursor: this.screen.cursor(),
      window: { width, height },
      displays: this.screen.displays(),
      gap: POPUP_GAP,
    });
    this.window.setPosition(placement.x, placement.y);
    this.window.show();
    this.window.focus();
  }

  hide(): void {
    if (!this.window.isDestroyed() && this.window.isVisible()) this.window.hide();
  }

  dispose(): void {
    if (!this.window.isDestroyed()) this.window.removeListener('blur', this.onBlur);
  }
}
