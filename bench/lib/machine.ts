// What a result was measured on: every JSON result carries this, so that figures from two
// machines (or from a busy and a quiet run of the same machine) are never compared blindly.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { runCommand } from './children.js';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramBytes: number;
  os: string;
  kernel: string;
  node: string;
  sipp: string | null;
  kamailio: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  /** 1-minute load average when the run started: above ~0.5 on an idle box means someone else is using it. */
  loadAverage1m: number;
  date: string;
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
    if (pretty?.[1] !== undefined) return pretty[1];
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()}`;
}

let cached: MachineInfo | undefined;

export async function machineInfo(): Promise<MachineInfo> {
  if (cached !== undefined)
    return { ...cached, loadAverage1m: os.loadavg()[0] ?? 0, date: new Date().toISOString() };
  const [sipp, kamailio, commit, status] = await Promise.all([
    runCommand('sipp', ['-v']),
    runCommand('kamailio', ['-v']),
    runCommand('git', ['rev-parse', 'HEAD']),
    runCommand('git', ['status', '--porcelain', '--untracked-files=no']),
  ]);
  const sippVersion = /SIPp\s+(v[\w.-]*\w)/.exec(sipp.stdout + sipp.stderr)?.[1] ?? null;
  const kamailioVersion =
    /version:\s*kamailio\s+([\w.-]+)/.exec(kamailio.stdout + kamailio.stderr)?.[1] ?? null;
  cached = {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    ramBytes: os.totalmem(),
    os: osName(),
    kernel: os.release(),
    node: process.version,
    sipp: sippVersion,
    kamailio: kamailioVersion,
    gitCommit: commit.code === 0 ? commit.stdout.trim() : null,
    gitDirty: status.code === 0 ? status.stdout.trim() !== '' : null,
    loadAverage1m: os.loadavg()[0] ?? 0,
    date: new Date().toISOString(),
  };
  return cached;
}
