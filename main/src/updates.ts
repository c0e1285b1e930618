// Auto-update (docs/desktop.md "Updates"): electron-updater against a generic feed (a web
// server holding latest.yml / latest-linux.yml / latest-mac.yml beside the installers). The
// feed comes from the administrator file (`updates.url`) or, in a packaged build, from the
// `publish` entry of electron-builder.yml that electron-builder writes into app-update.yml.
//
// Two layers, so the logic runs in plain Node tests against a real HTTP feed on 127.0.0.1:
//   UpdaterPort        the thin typed face of electron-updater's AppUpdater (check, download,
//                      install); `electronUpdaterPort()` adapts a real AppUpdater to it.
//   UpdateController   when to check, whether to download, what the tray says, when a restart
//                      is allowed (never in the middle of a call) — a state machine over the port.
import type { AppUpdater, ProgressInfo } from 'electron-updater';
import type { Clock, Logger, TimerHandle } from '../../gateway/src/index.js';

// ------------------------------------------------------------------ the port

export interface UpdateFeed {
  /** Base URL of a generic feed (electron-builder's GenericServerOptions.url). */
  url: string;
  /** latest.yml for "latest", beta.yml for "beta", … */
  channel: string;
}

export interface UpdateOffer {
  version: string;
  releaseName?: string;
  releaseDate?: string;
}

/** What the controller needs of an updater (electron-updater's AppUpdater, narrowed). */
export interface UpdaterPort {
  readonly currentVersion: string;
  /** Points the updater at a generic feed; without it, the packaged app-update.yml is used. */
  useFeed(feed: UpdateFeed): void;
  /** Asks the feed: the version offered when it is newer than ours, else null. */
  check(): Promise<UpdateOffer | null>;
  /** Downloads the offered update and verifies it (sha512 from the feed's yml). */
  download(onProgress: (percent: number) => void): Promise<void>;
  /** Quits, installs the downloaded update, and starts the new version. */
  installAndRestart(): void;
}

/** Forwards electron-updater's log lines to ours (it logs with console otherwise). */
function updaterLogger(logger: Logger): NonNullable<AppUpdater['logger']> {
  return {
    info: (message?: unknown) => logger.debug({ updater: String(message) }, 'updater'),
    warn: (message?: unknown) => logger.warn({ updater: String(message) }, 'updater'),
    error: (message?: unknown) => logger.warn({ updater: String(message) }, 'updater'),
    debug: (message: string) => logger.debug({ updater: message }, 'updater'),
  };
}

/** The port over a real electron-updater AppUpdater (main's autoUpdater; a test's DebUpdater). */
export function electronUpdaterPort(updater: AppUpdater, logger: Logger): UpdaterPort {
  // The controller decides when to download and install (never in the middle of a call);
  // a downloaded update still installs when the app quits, as electron-updater does by default.
  updater.autoDownload = false;
  updater.autoInstallOnAppQuit = true;
  updater.allowDowngrade = false;
  updater.logger = updaterLogger(logger);
  return {
    currentVersion: updater.currentVersion.version,
    useFeed(feed) {
      updater.setFeedURL({ provider: 'generic', url: feed.url, channel: feed.channel });
    },
    async check() {
      const result = await updater.checkForUpdates();
      if (result === null || !result.isUpdateAvailable) return null;
      const { version, releaseName, releaseDate } = result.updateInfo;
      return {
        version,
        ...(releaseName ? { releaseName } : {}),
        ...(releaseDate ? { releaseDate } : {}),
      };
    },
    async download(onProgress) {
      const listener = (progress: ProgressInfo): void => onProgress(Math.round(progress.percent));
      updater.on('download-progress', listener);
      try {
        await updater.downloadUpdate();
      } finally {
        updater.removeListener('download-progress', listener);
      }
    },
    installAndRestart() {
      // isSilent=false: the installer may show its progress; isForceRunAfter=true: the new
      // version starts (Windows NSIS); elsewhere electron-updater relaunches.
      updater.quitAndInstall(false, true);
    },
  };
}

// ------------------------------------------------------------------ policy

export interface UpdatePolicy {
  /** False: the app never checks (an organisation that deploys versions itself). */
  enabled: boolean;
  /** The feed; undefined = the packaged app-update.yml (electron-builder.yml `publish`). */
  feed?: UpdateFeed;
  /** Download as soon as an update is found (else only when the user asks from the tray). */
  autoDownload: boolean;
  checkIntervalMs: number;
}

export const DEFAULT_CHECK_INTERVAL_MS = 4 * 60 * 60_000;
/** The first check waits for start-up to settle (engine, window, links). */
export const FIRST_CHECK_DELAY_MS = 30_000;
/** A failed check or download is retried after this, doubling up to the check interval. */
export const RETRY_INITIAL_MS = 5 * 60_000;

// ------------------------------------------------------------------ the controller

export const UpdateState = {
  Disabled: 'disabled',
  Idle: 'idle',
  Checking: 'checking',
  Available: 'available',
  Downloading: 'downloading',
  Downloaded: 'downloaded',
  Failed: 'failed',
} as const;
export type UpdateState = (typeof UpdateState)[keyof typeof UpdateState];

/** Legal transitions (docs/architecture.md §5). Idle also means "up to date". */
const TRANSITIONS: Readonly<Record<UpdateState, readonly UpdateState[]>> = {
  disabled: [],
  idle: ['checking'],
  checking: ['idle', 'available', 'downloading', 'failed'],
  available: ['downloading', 'checking'],
  downloading: ['downloaded', 'failed'],
  downloaded: [],
  failed: ['checking'],
};

export interface UpdateStatus {
  state: UpdateState;
  currentVersion: string;
  /** The version offered (available, downloading, downloaded). */
  version?: string;
  /** 0–100 while downloading. */
  percent?: number;
  /** Why updates are off, or what failed (for the log and the tray's tooltip). */
  reason?: string;
  /** When the feed was last asked, epoch ms. */
  checkedAt?: number;
}

export interface UpdateControllerDeps {
  port: UpdaterPort | undefined;
  policy: UpdatePolicy;
  clock: Clock;
  logger: Logger;
  /** Why the app may not restart now (a call in progress), or undefined. */
  restartBlocker(): string | undefined;
  /** Every status change (the tray refreshes, a notice when downloaded). */
  onStatus(status: UpdateStatus): void;
}

export class UpdateController {
  private current: UpdateStatus;
  private timer: TimerHandle | undefined;
  private retryMs = RETRY_INITIAL_MS;
  private disposed = false;
  private running: Promise<UpdateStatus> | undefined;

  constructor(private readonly deps: UpdateControllerDeps) {
    const currentVersion = deps.port?.currentVersion ?? '0.0.0';
    if (deps.port === undefined)
      this.current = { state: 'disabled', currentVersion, reason: 'no update feed is configured' };
    else if (!deps.policy.enabled)
      this.current = {
        state: 'disabled',
        currentVersion,
        reason: 'updates are turned off by the administrator',
      };
    else {
      this.current = { state: 'idle', currentVersion };
      if (deps.policy.feed !== undefined) deps.port.useFeed(deps.policy.feed);
    }
  }

  get status(): UpdateStatus {
    return this.current;
  }

  /** Schedules the first check; later ones follow the policy's interval. */
  start(): void {
    if (this.current.state === 'disabled') {
      this.deps.logger.info({ reason: this.current.reason }, 'updates: off');
      return;
    }
    this.schedule(FIRST_CHECK_DELAY_MS);
  }

  /** Checks now (the tray's "Check for updates", or the timer); downloads when the policy or
   *  `download` says so. Concurrent calls share one run. */
  checkNow(options: { download?: boolean } = {}): Promise<UpdateStatus> {
    if (this.running !== undefined) return this.running;
    const run = this.run(options.download ?? this.deps.policy.autoDownload).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Downloads an update that was found but not fetched yet (autoDownload off). */
  downloadNow(): Promise<UpdateStatus> {
    if (this.current.state !== 'available') return Promise.resolve(this.current);
    return this.checkNow({ download: true });
  }

  /** Installs the downloaded update and restarts — unless a call is in progress. Returns why not. */
  restartToUpdate(): string | undefined {
    if (this.current.state !== 'downloaded') return 'no update is ready to install';
    const blocker = this.deps.restartBlocker();
    if (blocker !== undefined) return blocker;
    this.deps.logger.info({ version: this.current.version }, 'updates: restarting to install');
    this.deps.port?.installAndRestart();
    return undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async run(download: boolean): Promise<UpdateStatus> {
    const port = this.deps.port;
    if (port === undefined || this.disposed) return this.current;
    if (this.current.state === 'disabled' || this.current.state === 'downloaded') return this.current;
    if (this.current.state === 'downloading') return this.current;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.transition({ state: 'checking', currentVersion: port.currentVersion });
    let offer: UpdateOffer | null;
    try {
      offer = await port.check();
    } catch (error) {
      return this.fail('check', error);
    }
    if (this.disposed) return this.current;
    const checkedAt = this.deps.clock.now();
    this.retryMs = RETRY_INITIAL_MS;
    if (offer === null) {
      this.transition({ state: 'idle', currentVersion: port.currentVersion, checkedAt });
      this.schedule(this.deps.policy.checkIntervalMs);
      return this.current;
    }
    this.deps.logger.info({ version: offer.version }, 'updates: a new version is available');
    if (!download) {
      this.transition({
        state: 'available',
        currentVersion: port.currentVersion,
        version: offer.version,
        checkedAt,
      });
      this.schedule(this.deps.policy.checkIntervalMs);
      return this.current;
    }
    this.transition({
      state: 'downloading',
      currentVersion: port.currentVersion,
      version: offer.version,
      percent: 0,
      checkedAt,
    });
    try {
      await port.download((percent) => {
        if (this.current.state !== 'downloading' || percent === this.current.percent) return;
        this.current = { ...this.current, percent };
        this.deps.onStatus(this.current);
      });
    } catch (error) {
      return this.fail('download', error);
    }
    if (this.disposed) return this.current;
    this.transition({
      state: 'downloaded',
      currentVersion: port.currentVersion,
      version: offer.version,
      checkedAt,
    });
    this.deps.logger.info({ version: offer.version }, 'updates: downloaded; installs at quit or on restart');
    return this.current;
  }

  private fail(what: 'check' | 'download', error: unknown): UpdateStatus {
    const reason = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 300) : String(error);
    this.deps.logger.warn({ what, err: reason, retryInMs: this.retryMs }, 'updates: failed');
    this.transition({
      state: 'failed',
      currentVersion: this.current.currentVersion,
      reason: `the update ${what} failed: ${reason}`,
      ...(this.current.version === undefined ? {} : { version: this.current.version }),
    });
    this.schedule(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.deps.policy.checkIntervalMs);
    return this.current;
  }

  private schedule(delayMs: number): void {
    if (this.disposed) return;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.checkNow();
    }, delayMs);
  }

  /** The one place the state changes: checks the table (an illegal change is a bug). */
  private transition(next: UpdateStatus): void {
    const from = this.current.state;
    if (!TRANSITIONS[from].includes(next.state))
      throw new Error(`updates: illegal transition ${from} → ${next.state}`);
    this.current = next;
    this.deps.onStatus(next);
  }
}
