/**
 * CPU time spent, for figures that stay readable on a shared 2-core machine: wall-clock
 * throughput moves with whatever else runs, CPU-seconds per event much less. The broker's
 * CPU is read from /proc (Linux) because on one machine it competes with the processor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on every mainstream Linux. */
const USER_HZ = 100;

/** utime + stime of `pid` in ms, or undefined when /proc is not readable (not Linux, no such pid). */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), i.e. 12 and 13 after the name and state.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** The local broker's pid from scripts/services.sh's pid file, if it runs here. */
export function brokerPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(__dirname, '..', '..', '.services', 'kafka', 'kafka.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuMeter {
  /** CPU ms of this process and of the broker since the meter started. */
  read(): { selfMs: number; brokerMs: number | undefined };
}

export function startCpuMeter(): CpuMeter {
  const self0 = process.cpuUsage();
  const pid = brokerPid();
  const broker0 = pid !== undefined ? procCpuMs(pid) : undefined;
  return {
    read() {
      const d = process.cpuUsage(self0);
      const b = pid !== undefined && broker0 !== undefined ? procCpuMs(pid) : undefined;
      return {
        selfMs: (d.user + d.system) / 1000,
        brokerMs: b !== undefined && broker0 !== undefined ? b - broker0 : undefined,
      };
    },
  };
}
