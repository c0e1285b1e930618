// Electron main: the composition root (docs/architecture.md, "Where code runs"). Wiring only:
// start() is a list of named steps, and every decision lives in a pure, tested module
// (tray-menu, tray-icon, window-position/popup, links, ipc, event-queue, notifications,
// security, app-protocol, actions) or in the engine (gateway/) and the hosts' services (host/).
//
// Life of the process:
//   before ready   single-instance lock; privileged app scheme; open-url queue (macOS)
//   ready          log files, fault handler → administrator file → stores → session hardening
//                  → app protocol → popup window → IPC → tray → notifications → shortcuts,
//                  login item → updates → engine (simulator in demo mode) → pending dial links
//   quit           dispose in reverse, flush the stores, with a deadline
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  clipboard,
  crashReporter,
  globalShortcut,
  ipcMain,
  nativeImage,
  nativeTheme,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
  type WebContents,
} from 'electron';
import type { EventName, EventPayload } from '../../common/src/api/contract.js';
import type { NoticeView, SettingsView } from '../../common/src/api/views.js';
import { createAppHandlers } from '../../host/src/app-handlers.js';
import { LineKeeper } from '../../host/src/line-keeper.js';
import { HistoryStore } from '../../host/src/stores/history-store.js';
import { FileSecretStore, plainCipher, type SecretCipher } from '../../host/src/stores/secret-store.js';
import { SettingsStore, type SettingsField } from '../../host/src/stores/settings-store.js';
import { systemClock, type TimerHandle, type Logger } from '../../gateway/src/index.js';
import { createActions, type Actions } from './actions.js';
import {
  effectivePassword,
  effectiveSettings,
  loadAdminFile,
  lockedFieldsProblem,
  resolveAdminFilePath,
  updatePolicyFor,
  type AdminLoad,
} from './admin-settings.js';
import { AppEventLog } from './app-events.js';
import { DEMO_ARG, HIDDEN_ARG } from './args.js';
import { serveAppRequest } from './app-protocol.js';
import { DeskProxy } from './desk-proxy.js';
import { ENGINE_FIELDS, engineModules, startEngine, type Engine } from './engine.js';
import { RendererEventQueue } from './event-queue.js';
import { FaultHandler } from './fault-handler.js';
import { CrashLog, openAppLog, type AppLog } from './log-files.js';
import { registerIpc } from './ipc.js';
import { findDialRequest, parseDialLink, type DialTarget } from './links.js';
import { autostartDesktopEntry, autostartPath } from './login-item.js';
import { LaunchInbox } from './launch-inbox.js';
import { IncomingCallNotifier, type NotifierPort } from './notifications.js';
import { autoUpdater } from 'electron-updater';
import { UpdateController, electronUpdaterPort, type UpdaterPort, type UpdateStatus } from './updates.js';
import { PopupController } from './popup.js';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  CONTENT_SECURITY_POLICY,
  navigationAllowed,
  openDecision,
  permissionAllowed,
  secureWebPreferences,
  senderPolicy,
} from './security.js';
import {
  buildTrayMenu,
  toMenuTemplate,
  type MenuItemModel,
  type Screen,
  type TrayAction,
} from './tray-menu.js';
import { isLive, trayIconFor } from './tray-icon.js';

/** Link schemes Deskline handles (also declared in electron-builder.yml `protocols`). */
const DIAL_SCHEMES = ['tel', 'callto', 'sip'] as const;
const POPUP_SIZE = { width: 380, height: 620 } as const;
/** Shutdown must finish: a stuck socket or disk must not keep a zombie tray app alive. */
const SHUTDOWN_DEADLINE_MS = 5_000;
/** A dial link that arrives at launch waits this long for the line to come up. */
const LAUNCH_DIAL_WAIT_MS = 20_000;
/** Reloads of a crashed renderer allowed per minute (then it stays down, and says so in the log). */
const RENDERER_RELOADS = 3;
/** Tray menus are rebuilt at most this often (desk.state can change several times a second). */
const TRAY_REFRESH_MS = 150;

const clock = systemClock;
const events = new AppEventLog(() => clock.now());
const e2e = process.env['DESKLINE_E2E'] === '1';
/** `--demo` (npm start, the e2e tests): the embedded simulator whatever addresses the settings hold. */
const forceDemo = process.argv.includes(DEMO_ARG);
/** What the end-to-end tests reach in this process (DESKLINE_E2E=1 only): the OS's side of the
 *  tray menu, notifications and global shortcuts, which Playwright cannot click or press. Each
 *  does exactly what the OS's click or key press does (e2e/app.electron.ts). */
interface E2eHooks {
  trayMenu?: () => MenuItemModel[];
  clickTrayItem?: (id: string) => boolean;
  notifications: Notification[];
  pressShortcut?: (which: 'show' | 'dial') => boolean;
}
const e2eHooks: E2eHooks = { notifications: [] };
if (e2e) {
  // Playwright's electronApp.evaluate() runs in this process and waits on these (e2e/app.electron.ts).
  (globalThis as { desklineAppEvents?: AppEventLog }).desklineAppEvents = events;
  (globalThis as { desklineE2E?: E2eHooks }).desklineE2E = e2eHooks;
}

// ------------------------------------------------------------------ before ready

const userDataOverride = process.env['DESKLINE_USER_DATA'];
if (userDataOverride !== undefined && userDataOverride !== '') {
  app.setPath('userData', userDataOverride);
  // The logs (and crash dumps) of a test's app stay with its data.
  app.setAppLogsPath(join(userDataOverride, 'logs'));
  app.setPath('crashDumps', join(userDataOverride, 'crash-dumps'));
}
// Native crashes of any process: minidumps kept in app.getPath('crashDumps'), never uploaded
// (docs/desktop.md "Logs and crashes"). As early as possible, so the child processes get it too.
crashReporter.start({ uploadToServer: false, compress: true });

// One instance: a second launch (a tel: link clicked while we run, or the user starting the
// app again) hands its argv to the first and exits.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Our pages are served from a standard, secure scheme so they get a real origin (sender
  // checks, CSP 'self') and fetch/modules work — never file:// (security checklist §18).
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
  // Links and second launches can arrive before start() is done (macOS sends open-url even
  // before ready; second-instance comes after ready, while the stores may still be opening):
  // both are queued until start() can handle them.
  const inbox = new LaunchInbox();
  app.on('open-url', (event, url) => {
    event.preventDefault();
    inbox.push({ kind: 'url', url });
  });
  app.on('second-instance', (_event, argv) => inbox.push({ kind: 'argv', argv }));
  app
    .whenReady()
    .then(() => start(inbox))
    .catch((error: unknown) => {
      console.error('deskline: failed to start', error);
      app.exit(1);
    });
}

// ------------------------------------------------------------------ ready

/** What the steps of start() share: filled in as they run, in this order. */
interface Parts {
  readonly logger: Logger;
  readonly appLog: AppLog;
  readonly faults: FaultHandler;
  /** The administrator file as read at start (a change takes effect at the next start). */
  readonly admin: AdminLoad;
  readonly paths: AppPaths;
  readonly policy: ReturnType<typeof senderPolicy>;
  /** Set by createTray(); the popup asks for its bounds. */
  tray: Tray | undefined;
  shuttingDown: boolean;
}

interface AppPaths {
  userData: string;
  appRoot: string;
  rendererDir: string;
  preloadPath: string;
  trayIconDir: string;
  devServer: string | undefined;
}

/** Ready: each step below, in order (the life of the process in the header comment). */
async function start(inbox: LaunchInbox): Promise<void> {
  const userData = app.getPath('userData');
  const appLog = openAppLog(app.getPath('logs'), { tee: !app.isPackaged });
  const { logger } = appLog;
  // From here on, an exception nobody caught is logged and recorded, and the tray stays.
  const late: { notice?: (message: string) => void; links?: LinkHandlers } = {};
  const faults = new FaultHandler({
    logger,
    crashLog: new CrashLog(appLog.dir),
    clock,
    version: app.getVersion(),
    notify: (message) => late.notice?.(message),
  });
  faults.install(process);
  app.on('child-process-gone', (_event, details) =>
    faults.record('childProcessGone', new Error(`${details.type} process gone: ${details.reason}`), {
      type: details.type,
      reason: details.reason,
      exitCode: details.exitCode,
      ...(details.name === undefined ? {} : { name: details.name }),
    }),
  );
  logger.info(
    { version: app.getVersion(), packaged: app.isPackaged, platform: process.platform, logs: appLog.dir },
    'deskline starting',
  );
  app.dock?.hide(); // a tray app: no dock icon on macOS
  const paths = appPaths(userData);
  const admin = await loadAdminFile(
    resolveAdminFilePath({ platform: process.platform, env: process.env, packaged: app.isPackaged }),
  );
  if (admin.state === 'invalid') logger.error({ problem: admin.problem }, 'administrator file: invalid');
  else logger.info({ file: admin.file, state: admin.state }, 'administrator file');
  const parts: Parts = {
    logger,
    appLog,
    faults,
    admin,
    paths,
    policy: senderPolicy(paths.devServer),
    tray: undefined,
    shuttingDown: false,
  };

  const stores = await openStores(parts);
  // A dial link from window.open is handled by the link handlers made below (late binding:
  // no page is loaded before they exist).
  hardenSession(parts, (url, source) => late.links?.handleLink(url, source));
  const ui = createPopup(parts);
  late.notice = (message) => ui.notice('error', message, 'INTERNAL');
  const desk = new DeskProxy(logger);
  const late2: { updates?: UpdateController } = {};
  const actions = createDeskActions(parts, ui, desk, () => late2.updates);
  const unregisterIpc = registerIpcHandlers(parts, ui, desk, stores);
  const trayParts = createTray(parts, ui, desk, actions, stores, () => late2.updates?.status);
  const notifier = createNotifier(parts, ui, actions);
  wireFlows(desk, ui, stores, notifier, trayParts);
  const shortcuts = createShortcutAndLoginItem(parts, ui, actions);
  const updates = createUpdates(parts, ui, desk, trayParts);
  late2.updates = updates;
  const engine = createEngineRunner(parts, ui, desk, stores);
  watchSettings(parts, stores, ui, trayParts, shortcuts, engine);
  const links = createLinkHandlers(ui, desk, actions);
  late.links = links;
  await go(parts, ui, stores, shortcuts, engine, links, inbox);
  updates.start();
  onQuit(parts, { stores, ui, unregisterIpc, trayParts, notifier, desk, engine, updates });
}

function appPaths(userData: string): AppPaths {
  const appRoot = app.getAppPath();
  return {
    userData,
    appRoot,
    rendererDir: join(appRoot, 'dist', 'renderer'),
    preloadPath: join(appRoot, 'dist', 'main', 'preload.cjs'),
    // Packaged: electron-builder's extraResources (resources/tray); in development: the sources.
    trayIconDir: app.isPackaged ? join(process.resourcesPath, 'tray') : join(appRoot, 'build', 'tray'),
    devServer: app.isPackaged ? undefined : process.env['DESKLINE_RENDERER_URL'],
  };
}

interface Stores {
  secrets: FileSecretStore;
  settings: SettingsStore;
  history: HistoryStore;
  /** The settings as the app runs with them: the user's, with the administrator file's part. */
  view(): SettingsView;
}

async function openStores(parts: Parts): Promise<Stores> {
  const { paths, logger } = parts;
  const secrets = new FileSecretStore({
    path: join(paths.userData, 'secrets.json'),
    logger,
    cipher: await secretCipher(logger),
  });
  const settings = await SettingsStore.open({ dir: paths.userData, secrets, logger });
  const history = await HistoryStore.open({ dir: paths.userData, clock, logger });
  events.emit('app.storesOpened', { settingsFrom: settings.loadedFrom, administrator: parts.admin.state });
  nativeTheme.themeSource = settings.get().theme;
  return { secrets, settings, history, view: () => effectiveSettings(settings.get(), parts.admin) };
}

/** Session hardening (checklist §5, §7, §13–§15) and the app protocol. */
function hardenSession(
  { paths, policy, logger }: Parts,
  onDialLink: (url: string, source: string) => void,
): void {
  const { devServer } = paths;
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionAllowed(permission, details.requestingUrl, policy)),
  );
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionAllowed(permission, requestingOrigin, policy),
  );
  if (devServer !== undefined) {
    // The dev server's pages get the same CSP as a header as the app protocol's.
    ses.webRequest.onHeadersReceived({ urls: [`${devServer}/*`] }, (details, callback) =>
      callback({
        responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
      }),
    );
  }
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, paths.rendererDir));

  // Every web contents — registered before the first window exists: no navigation away, no
  // new windows, no <webview> (checklist §12–§15).
  app.on('web-contents-created', (_event, contents: WebContents) => {
    const guard = (event: { preventDefault(): void }, url: string): void => {
      if (navigationAllowed(url, policy)) return;
      event.preventDefault();
      logger.warn({ url: url.slice(0, 200) }, 'navigation denied');
    };
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const decision = openDecision(url);
      if (decision.action === 'external') void shell.openExternal(decision.url);
      else if (decision.action === 'dial') onDialLink(decision.url, 'window.open');
      return { action: 'deny' };
    });
  });
}

interface Popup {
  window: BrowserWindow;
  queue: RendererEventQueue;
  popup: PopupController;
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  notice(level: NoticeView['level'], message: string, code?: string): void;
  navigate(screenName: Screen, number?: string, callId?: string): void;
}

/** The popup window: created hidden, shown next to the tray icon (menubar's habit). */
function createPopup(parts: Parts): Popup {
  const { paths, logger } = parts;
  const window = new BrowserWindow({
    ...POPUP_SIZE,
    show: false,
    frame: false,
    resizable: false,
    movable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    skipTaskbar: true,
    alwaysOnTop: true,
    title: 'Deskline',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#1e1f22' : '#ffffff',
    webPreferences: secureWebPreferences(paths.preloadPath, { devTools: !app.isPackaged }),
  });
  const queue = new RendererEventQueue(window.webContents, logger);
  const emit = <E extends EventName>(name: E, payload: EventPayload<E>): void => queue.emit(name, payload);
  const notice = (level: NoticeView['level'], message: string, code?: string): void => {
    emit('app.notice', { level, message, at: clock.now(), ...(code === undefined ? {} : { code }) });
    // A refusal from the tray or a link must be seen even with the popup closed.
    if (level === 'error' && !window.isVisible() && Notification.isSupported())
      new Notification({ title: 'Deskline', body: message, silent: true }).show();
  };

  const popup = new PopupController(
    window,
    {
      displays: () => screen.getAllDisplays(),
      cursor: () => screen.getCursorScreenPoint(),
      trayBounds: () => parts.tray?.getBounds(),
    },
    clock,
  );
  // Closing the popup (Alt+F4, a window manager's close) hides it: the app lives in the tray.
  window.on('close', (event) => {
    if (parts.shuttingDown) return;
    event.preventDefault();
    popup.hide();
  });
  window.webContents.on('devtools-opened', () => (popup.hideOnBlur = false));
  window.webContents.on('devtools-closed', () => (popup.hideOnBlur = true));
  // A reload or a crashed renderer: queue events until the new page says READY again.
  window.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) queue.reset();
  });
  // A crashed renderer is reloaded, but not in a loop: at most RENDERER_RELOADS per minute.
  const crashes: number[] = [];
  window.webContents.on('render-process-gone', (_event, details) => {
    queue.reset();
    const now = clock.monotonic();
    while (crashes.length > 0 && now - (crashes[0] as number) > 60_000) crashes.shift();
    crashes.push(now);
    const reload = crashes.length <= RENDERER_RELOADS && !window.isDestroyed();
    parts.faults.record('rendererGone', new Error(`renderer gone: ${details.reason}`), {
      reason: details.reason,
      exitCode: details.exitCode,
      reload,
    });
    if (reload) void window.webContents.reload();
  });

  const navigate = (screenName: Screen, number?: string, callId?: string): void => {
    popup.show();
    emit('app.navigate', {
      screen: screenName,
      ...(number === undefined ? {} : { number }),
      ...(callId === undefined ? {} : { callId }),
    });
  };
  return { window, queue, popup, emit, notice, navigate };
}

/** The desk's actions (tray menu, shortcuts, links, notifications): the proxy stands in front of
 *  an engine that comes and goes. */
function createDeskActions(
  { logger }: Parts,
  ui: Popup,
  desk: DeskProxy,
  updates: () => UpdateController | undefined,
): Actions {
  return createActions({
    updates: {
      check: () => void updates()?.checkNow({ download: true }),
      download: () => void updates()?.downloadNow(),
      install: () => updates()?.restartToUpdate() ?? 'updates are not available',
    },
    desk: () => desk.attached,
    state: () => desk.state,
    show: () => ui.popup.show(),
    navigate: ui.navigate,
    notice: ui.notice,
    readClipboard: () => clipboard.readText(),
    readSelection: async () => (process.platform === 'linux' ? clipboard.selection.readText() : ''),
    quit: () => app.quit(),
    logger,
  });
}

/** IPC: the desk's and the app's handlers, behind the sender policy. Returns the unregister. */
function registerIpcHandlers(
  { policy, logger, admin }: Parts,
  ui: Popup,
  desk: DeskProxy,
  stores: Stores,
): () => void {
  const { settings, history } = stores;
  const shared = createAppHandlers({ settings, history, hideWindow: () => ui.popup.hide() });
  // The settings the renderer sees and changes carry the administrator file's part, locked.
  const appHandlers: typeof shared = {
    ...shared,
    'app.getSettings': () => stores.view(),
    'app.updateSettings': async (patch) => {
      const locked = lockedFieldsProblem(patch, admin);
      if (locked !== undefined) throw locked;
      await shared['app.updateSettings'](patch);
      return stores.view();
    },
    'app.setFavourites': async (request) => {
      await shared['app.setFavourites'](request);
      return stores.view();
    },
  };
  return registerIpc(ipcMain, {
    handlers: { ...desk.handlers(), ...appHandlers },
    policy,
    logger,
    onReady: (event) => {
      if (event.sender.id !== ui.window.webContents.id) return;
      ui.queue.markReady();
      events.emit('app.windowReady', { url: ui.window.webContents.getURL() });
    },
  });
}

interface TrayParts {
  refreshTray(): void;
  dispose(): void;
}

function createTray(
  parts: Parts,
  ui: Popup,
  desk: DeskProxy,
  actions: Actions,
  { settings, history }: Stores,
  updateStatus: () => UpdateStatus | undefined,
): TrayParts {
  const iconFile = (file: string): string => join(parts.paths.trayIconDir, file);
  const initialIcon = trayIconFor(null, history.missedCalls().unseen);
  const tray = new Tray(nativeImage.createFromPath(iconFile(initialIcon.file)));
  parts.tray = tray;
  tray.setToolTip(initialIcon.tooltip);
  let trayTimer: TimerHandle | undefined;
  let lastIconFile = initialIcon.file;
  const model = (): MenuItemModel[] =>
    buildTrayMenu({
      desk: desk.state,
      favourites: settings.get().favourites,
      recentNumbers: history.recentNumbers(),
      missed: history.missedCalls().unseen,
      ...trayUpdate(updateStatus(), desk),
    });
  const dispatch = (action: TrayAction): void => {
    void actions.dispatch(action);
  };
  const buildMenu = (): Menu => Menu.buildFromTemplate(toMenuTemplate(model(), dispatch));
  if (e2e) {
    e2eHooks.trayMenu = model;
    e2eHooks.clickTrayItem = (id) => {
      const walk = (items: readonly MenuItemModel[]): MenuItemModel | undefined =>
        items
          .map((entry) => (entry.id === id ? entry : walk(entry.submenu ?? [])))
          .find((entry) => entry !== undefined);
      const entry = walk(model());
      if (entry?.action === undefined || !entry.enabled) return false;
      dispatch(entry.action);
      return true;
    };
  }
  const refreshTray = (): void => {
    if (trayTimer !== undefined) return;
    trayTimer = clock.setTimeout(() => {
      trayTimer = undefined;
      const current = parts.tray;
      if (current === undefined || current.isDestroyed()) return;
      const missed = history.missedCalls().unseen;
      const icon = trayIconFor(desk.state, missed);
      if (icon.file !== lastIconFile) {
        current.setImage(nativeImage.createFromPath(iconFile(icon.file)));
        lastIconFile = icon.file;
      }
      current.setToolTip(icon.tooltip);
      // macOS shows the count beside the menu bar icon (the dot alone is easy to miss there).
      if (process.platform === 'darwin') current.setTitle(missed > 0 ? String(missed) : '');
      events.emit('app.trayUpdated', { state: icon.state, file: icon.file, missed, tooltip: icon.tooltip });
      // Linux (AppIndicator) shows only a menu set in advance; elsewhere it is built on right-click.
      if (process.platform === 'linux') current.setContextMenu(buildMenu());
    }, TRAY_REFRESH_MS);
  };
  tray.on('click', () => ui.popup.toggle());
  tray.on('right-click', () => parts.tray?.popUpContextMenu(buildMenu()));
  if (process.platform === 'linux') tray.setContextMenu(buildMenu());
  refreshTray();
  events.emit('app.trayCreated', { platform: process.platform });
  return {
    refreshTray,
    dispose: () => {
      if (trayTimer !== undefined) clock.clearTimeout(trayTimer);
    },
  };
}

/** Notifications of incoming calls. */
function createNotifier({ logger }: Parts, ui: Popup, actions: Actions): IncomingCallNotifier {
  const notifierPort: NotifierPort = {
    show(model, handlers) {
      if (!Notification.isSupported()) return { close: () => undefined };
      const notification = new Notification({
        title: model.title,
        body: model.body,
        urgency: model.urgency,
        timeoutType: model.timeoutType,
        actions: model.actions.map((action) => ({ type: 'button' as const, text: action.text })),
        ...(model.toastXml === undefined ? {} : { toastXml: model.toastXml }),
      });
      notification.on('action', (details) => {
        const action = model.actions[details.actionIndex];
        if (action !== undefined) handlers.onAction(action.id);
      });
      // A toast's buttons also come back as a 'click' (its arguments are ours, not Electron's):
      // on Windows every activation goes through handleActivation below instead.
      if (model.toastXml === undefined) notification.on('click', handlers.onClick);
      notification.on('failed', (_event, error) => logger.warn({ err: error }, 'notification failed'));
      notification.show();
      if (e2e) e2eHooks.notifications.push(notification);
      events.emit('notification.shown', {
        callId: model.callId,
        title: model.title,
        actions: model.actions.length,
      });
      return { close: () => notification.close() };
    },
  };
  const notifier = new IncomingCallNotifier({
    port: notifierPort,
    platform: process.platform,
    answer: (callId) => void actions.dispatch({ type: 'answer', callId }),
    decline: (callId) => void actions.dispatch({ type: 'decline', callId }),
    open: (callId) => ui.navigate('calls', undefined, callId),
    logger,
  });
  // Windows: every toast activation (a button, the body; also one that started the app).
  if (process.platform === 'win32')
    Notification.handleActivation((details) => notifier.activate(details.arguments));
  return notifier;
}

/** The flows between the parts: desk state to the renderer, history, notifications and tray. */
function wireFlows(
  desk: DeskProxy,
  ui: Popup,
  { history }: Stores,
  notifier: IncomingCallNotifier,
  trayParts: TrayParts,
): void {
  desk.onEvent((event) => {
    if (event.name === 'desk.state') {
      ui.emit('desk.state', event.payload);
      // The offline state of a detached desk (engine restarting) says nothing about the calls:
      // they may well continue on the phone. History follows the engine's own states only.
      if (desk.attached !== undefined) history.observe(event.payload);
      notifier.observe(event.payload);
      trayParts.refreshTray();
    } else {
      ui.emit('desk.incomingCall', event.payload);
    }
  });
  history.onChange((entries) => {
    ui.emit('app.history', [...entries]);
    trayParts.refreshTray();
  });
  // The missed-call badge is the history store's (host-owned "seen"): every window agrees.
  history.onMissedChange((missed) => {
    ui.emit('app.missedCalls', missed);
    trayParts.refreshTray();
  });
}

interface Shortcuts {
  /** The shortcut that shows Deskline, and the optional one that dials the selection. */
  applyShortcuts(view: Pick<SettingsView, 'globalShortcut' | 'dialShortcut'>): void;
  applyLoginItem(enabled: boolean): Promise<void>;
}

/** The global shortcuts and the login item, from the settings. */
function createShortcutAndLoginItem({ paths }: Parts, ui: Popup, actions: Actions): Shortcuts {
  const registered = new Map<'show' | 'dial', string>();
  const apply = (which: 'show' | 'dial', accelerator: string, run: () => void): void => {
    const previous = registered.get(which);
    if (previous === accelerator) return;
    if (previous !== undefined) globalShortcut.unregister(previous);
    registered.delete(which);
    if (accelerator === '') return;
    if (globalShortcut.register(accelerator, run)) registered.set(which, accelerator);
    else
      ui.notice(
        'warning',
        `The shortcut ${accelerator} is taken by another application: choose another in Settings`,
      );
  };
  const run = {
    show: (): void => {
      events.emit('shortcut.pressed', { which: 'show' });
      ui.popup.show();
    },
    dial: (): void => {
      events.emit('shortcut.pressed', { which: 'dial' });
      void actions.dialSelectionOrClipboard();
    },
  };
  const applyShortcuts = (view: Pick<SettingsView, 'globalShortcut' | 'dialShortcut'>): void => {
    apply('show', view.globalShortcut, run.show);
    apply('dial', view.dialShortcut ?? '', run.dial);
  };
  if (e2e)
    e2eHooks.pressShortcut = (which) => {
      // Only a shortcut the OS accepted can be pressed.
      if (!registered.has(which)) return false;
      run[which]();
      return true;
    };
  const applyLoginItem = async (enabled: boolean): Promise<void> => {
    if (process.platform === 'linux') {
      const path = autostartPath(process.env, homedir());
      if (enabled) {
        await mkdir(join(path, '..'), { recursive: true });
        await writeFile(
          path,
          autostartDesktopEntry(
            process.env['APPIMAGE'] ?? process.execPath,
            app.isPackaged ? [] : [paths.appRoot],
          ),
          { mode: 0o644 },
        );
      } else {
        await rm(path, { force: true });
      }
    } else {
      app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
    }
  };
  return { applyShortcuts, applyLoginItem };
}

interface EngineRunner {
  restartEngine(why: string): Promise<void>;
  /** The restart in progress (or the last one). */
  readonly queue: Promise<void>;
  readonly engine: Engine | undefined;
}

/** The engine: (re)started from the settings, one start at a time. */
function createEngineRunner(parts: Parts, ui: Popup, desk: DeskProxy, stores: Stores): EngineRunner {
  const { logger, admin } = parts;
  const { settings } = stores;
  let engine: Engine | undefined;
  let engineQueue: Promise<void> = Promise.resolve();
  /** The first start at the user's line (host/src/line-keeper.ts), per attached engine. */
  let offLineKeeper: (() => void) | undefined;
  const restartEngine = (why: string): Promise<void> => {
    if (parts.shuttingDown) return engineQueue;
    engineQueue = engineQueue
      .then(async () => {
        const previous = engine;
        engine = undefined;
        offLineKeeper?.();
        offLineKeeper = undefined;
        desk.detach(why);
        await previous?.dispose();
        if (admin.state === 'invalid') {
          // The administrator chose this machine's phone system: never a guess instead.
          const message = `The administrator settings file has an error, so Deskline cannot connect: ${admin.problem}`;
          desk.detach(message);
          ui.notice('error', message, 'CONFIG_INVALID');
          events.emit('engine.failed', { code: 'CONFIG_INVALID', message });
          return;
        }
        const started = await startEngine({
          settings: engineSettings(stores.view()),
          password: effectivePassword(await settings.password(), admin),
          modules: engineModules,
          logger,
          clock,
        });
        if (!started.ok) {
          desk.detach(started.error.message);
          ui.notice('error', started.error.message, started.error.code);
          events.emit('engine.failed', { code: started.error.code, message: started.error.message });
          return;
        }
        engine = started.value;
        desk.attach(engine.desk);
        const attached = engine.desk;
        const keeper = new LineKeeper({
          userId: engine.userId,
          settings,
          selectLine: (lineId) => Promise.resolve(attached['desk.selectLine']({ lineId })),
          logger,
        });
        offLineKeeper = desk.onEvent((event) => {
          if (event.name === 'desk.state' && desk.attached === attached) keeper.observe(event.payload);
        });
        await desk.refresh();
        events.emit('engine.started', {
          mode: engine.mode,
          userId: engine.userId,
          nodes: engine.addresses.length,
          addresses: [...engine.addresses],
          ...(engine.adminUrl === undefined ? {} : { adminUrl: engine.adminUrl }),
        });
      })
      .catch((error: unknown) => {
        // startEngine answers Results; this is a bug, logged, and the next restart still runs.
        logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'engine: restart failed',
        );
      });
    return engineQueue;
  };
  return {
    restartEngine,
    get queue() {
      return engineQueue;
    },
    get engine() {
      return engine;
    },
  };
}

/** What a settings change sets off. */
function watchSettings(
  { admin }: Parts,
  stores: Stores,
  ui: Popup,
  trayParts: TrayParts,
  shortcuts: Shortcuts,
  engine: EngineRunner,
): void {
  stores.settings.onChange((_user: SettingsView, changed: ReadonlySet<SettingsField>) => {
    const view = stores.view();
    ui.emit('app.settings', view);
    if (changed.has('theme')) nativeTheme.themeSource = view.theme;
    if (changed.has('globalShortcut') || changed.has('dialShortcut')) shortcuts.applyShortcuts(view);
    if (changed.has('startAtLogin'))
      shortcuts
        .applyLoginItem(view.startAtLogin)
        .catch((error: unknown) =>
          ui.notice('error', `Start at login could not be changed: ${String(error)}`),
        );
    if (changed.has('favourites')) trayParts.refreshTray();
    // Fields the administrator file holds cannot change here; the rest restart the engine.
    const managed = admin.state !== 'absent';
    const engineChanged = [...changed].some(
      (field) => ENGINE_FIELDS.has(field) && !(managed && field !== 'userId'),
    );
    if (engineChanged) void engine.restartEngine('settings changed');
  });
}

interface LinkHandlers {
  handleLink(url: string, source: string): void;
  handleArgv(argv: readonly string[], source: string): void;
}

/** Dial links: at launch (argv), from a second instance, macOS open-url, window.open. */
function createLinkHandlers(ui: Popup, desk: DeskProxy, actions: Actions): LinkHandlers {
  const dialWhenReady = async (target: DialTarget, source: string): Promise<void> => {
    events.emit('dial.requested', { number: target.number, source });
    await waitForLine(desk, LAUNCH_DIAL_WAIT_MS);
    if (await actions.dial(target, { show: true }))
      events.emit('dial.started', { number: target.number, source });
    else events.emit('dial.refused', { number: target.number, source });
  };
  const handleLink = (url: string, source: string): void => {
    const parsed = parseDialLink(url);
    if (!parsed.ok) {
      events.emit('dial.refused', { source, code: parsed.error.code });
      ui.notice('error', `Not dialled: ${parsed.error.message}`, parsed.error.code);
      return;
    }
    void dialWhenReady(parsed.value, source);
  };
  const handleArgv = (argv: readonly string[], source: string): void => {
    const request = findDialRequest(argv);
    if (request === undefined) return;
    if (!request.ok) {
      events.emit('dial.refused', { source, code: request.error.code });
      ui.notice('error', `Not dialled: ${request.error.message}`, request.error.code);
      return;
    }
    void dialWhenReady(request.value, source);
  };
  if (app.isPackaged) for (const scheme of DIAL_SCHEMES) app.setAsDefaultProtocolClient(scheme);
  return { handleLink, handleArgv };
}

/** Go: the page, the popup, the shortcut, the engine, then the links that waited. */
async function go(
  { logger, paths }: Parts,
  ui: Popup,
  { settings }: Stores,
  shortcuts: Shortcuts,
  engine: EngineRunner,
  links: LinkHandlers,
  inbox: LaunchInbox,
): Promise<void> {
  await ui.window
    .loadURL(paths.devServer ?? APP_ENTRY_URL)
    .catch((error: unknown) => logger.error({ err: String(error) }, 'window: page failed to load'));
  if (!process.argv.includes(HIDDEN_ARG)) ui.popup.show();
  shortcuts.applyShortcuts(settings.get());
  if (settings.loadedFrom === 'backup')
    ui.notice('warning', 'Your settings file was damaged; the last good copy was restored');
  void engine.restartEngine('starting');
  links.handleArgv(process.argv.slice(1), 'argv');
  inbox.drain((item) => {
    if (item.kind === 'url') {
      links.handleLink(item.url, 'open-url');
    } else {
      // A second launch: show ourselves, and dial what it was asked to.
      ui.popup.show();
      links.handleArgv(item.argv, 'second-instance');
    }
  });
}

/** Shutdown: a tray app stays alive with no window open; on quit, everything is disposed in
 *  reverse, the stores flushed, within a deadline. */
function onQuit(
  parts: Parts,
  p: {
    stores: Stores;
    ui: Popup;
    unregisterIpc: () => void;
    trayParts: TrayParts;
    notifier: IncomingCallNotifier;
    desk: DeskProxy;
    engine: EngineRunner;
    updates: UpdateController;
  },
): void {
  const { logger } = parts;
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (parts.shuttingDown) return;
    // Electron does not wait for async before-quit work: hold the quit, clean up, then exit.
    event.preventDefault();
    parts.shuttingDown = true;
    events.emit('app.shutdown', {});
    const cleanup = async (): Promise<void> => {
      globalShortcut.unregisterAll();
      p.updates.dispose();
      p.trayParts.dispose();
      p.notifier.dispose();
      p.ui.queue.dispose();
      p.unregisterIpc();
      p.ui.popup.dispose();
      await p.engine.queue.catch(() => undefined);
      p.desk.dispose();
      await p.engine.engine?.dispose();
      await p.stores.settings.dispose();
      await p.stores.history.dispose();
      await p.stores.secrets.dispose();
      parts.tray?.destroy();
      parts.tray = undefined;
      events.dispose();
    };
    const deadline = new Promise<'timeout'>((resolve) =>
      clock.setTimeout(() => resolve('timeout'), SHUTDOWN_DEADLINE_MS),
    );
    Promise.race([cleanup().then(() => 'done' as const), deadline])
      .then((outcome) => {
        if (outcome === 'timeout')
          logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed; exiting anyway');
        logger.info({}, 'deskline stopped');
      })
      .catch((error: unknown) => logger.error({ err: String(error) }, 'shutdown failed'))
      // The log file last: everything above may still write to it.
      .then(() =>
        Promise.race([
          parts.appLog.dispose(),
          new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 1_000)),
        ]),
      )
      .finally(() => app.exit(0));
  });
}

// ------------------------------------------------------------------ helpers

/** Why the app must not restart to update now: a call on any line. */
function restartBlocker(desk: DeskProxy): string | undefined {
  return desk.state?.calls.some(isLive) === true
    ? "Finish your calls first: restarting would end Deskline's control of them"
    : undefined;
}

/** What the tray shows of the updater. */
function trayUpdate(
  status: UpdateStatus | undefined,
  desk: DeskProxy,
): { update?: UpdateStatus & { restartBlocker?: string } } {
  if (status === undefined) return {};
  const blocker = restartBlocker(desk);
  return { update: blocker === undefined ? status : { ...status, restartBlocker: blocker } };
}

/** Auto-update (updates.ts): electron-updater against the administrator's feed or the packaged
 *  app-update.yml (electron-builder.yml `publish`); off without either. */
function createUpdates(parts: Parts, ui: Popup, desk: DeskProxy, trayParts: TrayParts): UpdateController {
  const { logger, admin } = parts;
  const policy = updatePolicyFor(admin);
  const packagedFeed = app.isPackaged && existsSync(join(process.resourcesPath, 'app-update.yml'));
  let port: UpdaterPort | undefined;
  if (policy.enabled && (policy.feed !== undefined || packagedFeed)) {
    // electron-updater creates its updater on first access (it reads the app's version and
    // paths): only here, where a feed exists.
    port = electronUpdaterPort(autoUpdater, logger.child({ component: 'updates' }));
  }
  let announced: string | undefined;
  const controller = new UpdateController({
    port,
    policy,
    clock,
    logger: logger.child({ component: 'updates' }),
    restartBlocker: () => restartBlocker(desk),
    onStatus: (status) => {
      trayParts.refreshTray();
      events.emit('update.status', {
        state: status.state,
        ...(status.version ? { version: status.version } : {}),
      });
      if (status.state === 'downloaded' && announced !== status.version) {
        announced = status.version;
        ui.notice(
          'info',
          `Deskline ${status.version ?? ''} is ready. It installs when you quit Deskline, or choose “Restart to update” in the tray menu.`,
        );
      }
    },
  });
  events.emit('update.status', { state: controller.status.state });
  return controller;
}

/** The password's cipher: the OS keychain through safeStorage when it is available. */
async function secretCipher(logger: Logger): Promise<SecretCipher> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) {
    logger.warn({}, 'secrets: no OS keychain; the password is protected by file permissions only');
    return plainCipher;
  }
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    logger.warn({}, 'secrets: no keyring (basic_text backend); the password is only obfuscated');
  }
  return {
    name: 'safeStorage',
    seal: async (plain) => (await safeStorage.encryptStringAsync(plain)).toString('base64'),
    open: async (sealed) => (await safeStorage.decryptStringAsync(Buffer.from(sealed, 'base64'))).result,
  };
}

/** The settings the engine runs with: `--demo` empties the CTI addresses (in memory only). */
function engineSettings(view: SettingsView): SettingsView {
  return forceDemo ? { ...view, ctiAddresses: [] } : view;
}

/** Resolves once the desk has an active line, or after `timeoutMs` (the dial then says why it cannot). */
function waitForLine(desk: DeskProxy, timeoutMs: number): Promise<void> {
  const active = (): boolean => desk.state?.session.state === 'active';
  if (active()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = clock.setTimeout(done, timeoutMs);
    const unsubscribe = desk.onEvent(() => {
      if (active()) done();
    });
    function done(): void {
      clock.clearTimeout(timer);
      unsubscribe();
      resolve();
    }
  });
}
