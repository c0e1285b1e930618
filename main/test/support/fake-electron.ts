// A stand-in for the 'electron' module, enough to run the bundled main process (dist/main/
// main.cjs) in plain Node: every object main.ts uses, recording what main does with it and
// letting the test play the user and the OS (ready, a second instance, a tray click, READY
// from the page, quit). Not a mock of our code: a fake of the platform (docs/architecture.md §4.8).
import { EventEmitter } from 'node:events';

type Listener = (...args: never[]) => unknown;

class Emitter {
  private readonly inner = new EventEmitter();
  on(event: string, listener: Listener): this {
    this.inner.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  once(event: string, listener: Listener): this {
    this.inner.once(event, listener as (...args: unknown[]) => void);
    return this;
  }
  removeListener(event: string, listener: Listener): this {
    this.inner.removeListener(event, listener as (...args: unknown[]) => void);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    return this.inner.emit(event, ...args);
  }
  listenerCount(event: string): number {
    return this.inner.listenerCount(event);
  }
}

export interface SentEvent {
  channel: string;
  message: { name: string; payload: unknown };
}

export class FakeWebContents extends Emitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  readonly sent: SentEvent[] = [];
  url = '';
  destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  send(channel: string, message: SentEvent['message']): void {
    this.sent.push({ channel, message });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getURL(): string {
    return this.url;
  }
  reload(): void {
    this.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false, url: this.url });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends Emitter {
  static all: FakeBrowserWindow[] = [];
  static app: FakeApp | undefined;
  readonly webContents = new FakeWebContents();
  visible = false;
  destroyed = false;
  position: [number, number] = [0, 0];
  constructor(readonly options: { width: number; height: number; webPreferences: Record<string, unknown> }) {
    super();
    FakeBrowserWindow.all.push(this);
    FakeBrowserWindow.app?.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.url = url;
    this.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false, url });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isVisible(): boolean {
    return this.visible;
  }
  getSize(): number[] {
    return [this.options.width, this.options.height];
  }
  setPosition(x: number, y: number): void {
    this.position = [x, y];
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {
    /* focus follows show here */
  }
}

export class FakeTray extends Emitter {
  static all: FakeTray[] = [];
  tooltip = '';
  image: unknown;
  contextMenu: FakeMenu | null = null;
  poppedUp: FakeMenu[] = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    FakeTray.all.push(this);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  title = '';
  setTitle(title: string): void {
    this.title = title;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.contextMenu = menu;
  }
  popUpContextMenu(menu: FakeMenu): void {
    this.poppedUp.push(menu);
  }
  getBounds() {
    return { x: 1700, y: 1048, width: 24, height: 24 };
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export interface TemplateItem {
  id?: string;
  label?: string;
  enabled?: boolean;
  type?: string;
  click?: () => void;
  submenu?: TemplateItem[];
}

export class FakeMenu {
  constructor(readonly template: TemplateItem[]) {}
  static buildFromTemplate(template: TemplateItem[]): FakeMenu {
    return new FakeMenu(template);
  }
  find(id: string): TemplateItem | undefined {
    const walk = (items: TemplateItem[]): TemplateItem | undefined => {
      for (const item of items) {
        if (item.id === id) return item;
        const inner = item.submenu ? walk(item.submenu) : undefined;
        if (inner) return inner;
      }
      return undefined;
    };
    return walk(this.template);
  }
}

export class FakeNotification extends Emitter {
  static shown: FakeNotification[] = [];
  static activationHandler: ((details: { type: string; arguments: string }) => void) | undefined;
  static isSupported(): boolean {
    return true;
  }
  static handleActivation(handler: (details: { type: string; arguments: string }) => void): void {
    FakeNotification.activationHandler = handler;
  }
  closed = false;
  constructor(readonly options: { title?: string; body?: string; actions?: unknown[]; toastXml?: string }) {
    super();
  }
  show(): void {
    FakeNotification.shown.push(this);
  }
  close(): void {
    this.closed = true;
  }
}

export class FakeApp extends Emitter {
  readonly paths = new Map<string, string>();
  readonly protocolClients: string[] = [];
  loginItem: unknown;
  exitCode: number | undefined;
  quitCalls = 0;
  lock = true;
  private readyResolve: (() => void) | undefined;
  private readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
  readonly dock = {
    hidden: false,
    hide: () => {
      this.dock.hidden = true;
    },
  };
  constructor(
    readonly appPath: string,
    readonly isPackaged: boolean,
  ) {
    super();
  }
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  /** The test says Electron is ready. */
  becomeReady(): void {
    this.readyResolve?.();
  }
  setPath(name: string, value: string): void {
    this.paths.set(name, value);
  }
  /** Like Electron: without an argument, `<userData>/logs`. */
  setAppLogsPath(path?: string): void {
    this.paths.set('logs', path ?? `${this.getPath('userData')}/logs`);
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    if (path === undefined) throw new Error(`no path ${name}`);
    return path;
  }
  getAppPath(): string {
    return this.appPath;
  }
  getVersion(): string {
    return '0.1.0';
  }
  setAsDefaultProtocolClient(scheme: string): boolean {
    this.protocolClients.push(scheme);
    return true;
  }
  setLoginItemSettings(settings: unknown): void {
    this.loginItem = settings;
  }
  /** Like Electron: emits before-quit; quits unless a listener called preventDefault. */
  quit(): void {
    this.quitCalls += 1;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented && this.exitCode === undefined) this.exitCode = 0;
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
}

export interface FakeIpcEvent {
  senderFrame: { url: string; parent: null } | null;
  sender: { id: number };
}

export class FakeIpcMain extends Emitter {
  readonly handlers = new Map<string, (event: FakeIpcEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: FakeIpcEvent, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** As the page at `url` (in `contents`) would invoke a channel. */
  async invoke(contents: FakeWebContents, channel: string, request: unknown): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
    return handler(
      { senderFrame: { url: contents.url, parent: null }, sender: { id: contents.id } },
      request,
    );
  }
  sendFrom(contents: FakeWebContents, channel: string): void {
    this.emit(channel, { senderFrame: { url: contents.url, parent: null }, sender: { id: contents.id } });
  }
}

export function createFakeElectron(options: {
  appPath: string;
  isPackaged: boolean;
  clipboardText?: string;
}) {
  FakeBrowserWindow.all = [];
  FakeTray.all = [];
  FakeNotification.shown = [];
  FakeNotification.activationHandler = undefined;
  const app = new FakeApp(options.appPath, options.isPackaged);
  const crashReporter = {
    started: [] as unknown[],
    start: (options: unknown) => void crashReporter.started.push(options),
  };
  FakeBrowserWindow.app = app;
  const ipcMain = new FakeIpcMain();
  const protocolHandlers = new Map<string, (request: { method: string; url: string }) => Promise<Response>>();
  const privileged: unknown[] = [];
  const shortcuts = new Map<string, () => void>();
  const opened: string[] = [];
  let clipboardText = options.clipboardText ?? '';
  const permission = { request: undefined as unknown, check: undefined as unknown };
  const electron = {
    app,
    ipcMain,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: FakeMenu,
    Notification: FakeNotification,
    crashReporter,
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    nativeTheme: { themeSource: 'system', shouldUseDarkColors: false },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => void privileged.push(...schemes),
      handle: (scheme: string, handler: (request: { method: string; url: string }) => Promise<Response>) =>
        void protocolHandlers.set(scheme, handler),
    },
    safeStorage: {
      isAsyncEncryptionAvailable: async () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptStringAsync: async (plain: string) =>
        Buffer.from(`sealed:${Buffer.from(plain).toString('base64')}`),
      decryptStringAsync: async (sealed: Buffer) => ({
        shouldReEncrypt: false,
        result: Buffer.from(sealed.toString().slice('sealed:'.length), 'base64').toString(),
      }),
    },
    screen: {
      getAllDisplays: () => [
        {
          bounds: { x: 0, y: 0, width: 1920, height: 1080 },
          workArea: { x: 0, y: 0, width: 1920, height: 1040 },
        },
      ],
      getCursorScreenPoint: () => ({ x: 1710, y: 1060 }),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: unknown) => void (permission.request = handler),
        setPermissionCheckHandler: (handler: unknown) => void (permission.check = handler),
        webRequest: { onHeadersReceived: () => undefined },
      },
    },
    shell: { openExternal: async (url: string) => void opened.push(url) },
    clipboard: {
      readText: async () => clipboardText,
      selection: { readText: async () => '' },
    },
    globalShortcut: {
      register: (accelerator: string, callback: () => void) => {
        if (shortcuts.has(accelerator)) return false;
        shortcuts.set(accelerator, callback);
        return true;
      },
      unregister: (accelerator: string) => void shortcuts.delete(accelerator),
      unregisterAll: () => shortcuts.clear(),
    },
  };
  return {
    electron,
    app,
    ipcMain,
    protocolHandlers,
    privileged,
    shortcuts,
    crashReporter,
    opened,
    permission,
    setClipboard: (text: string) => void (clipboardText = text),
    window: () => FakeBrowserWindow.all[0],
    tray: () => FakeTray.all[0],
    notifications: () => FakeNotification.shown,
  };
}
