# shellcheck shell=bash
# Helpers shared by the service scripts: messages, prerequisite checks, Maven fetches,
# port probes and process control. Sourced by scripts/services.sh; defines functions only.

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# Java 17 is the floor: Kafka 4 brokers and Apicurio Registry 3.0 both need it.
java_major() {
  local line ver
  line=$(java -version 2>&1 | head -n 1) || return 1
  ver=$(printf '%s' "$line" | sed -E 's/.*version "([^"]+)".*/\1/')
  case "$ver" in
    1.*) printf '%s' "$ver" | cut -d. -f2 ;;
    *) printf '%s' "$ver" | cut -d. -f1 | cut -d- -f1 ;;
  esac
}

require_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found. Install Java 17+: apt-get install -y openjdk-17-jre-headless"
  local major
  major=$(java_major) || die "could not run 'java -version'"
  [[ "$major" =~ ^[0-9]+$ ]] || die "could not read the Java version from: $(java -version 2>&1 | head -n 1)"
  ((major >= 17)) ||
    die "Java $major found, Java 17+ needed. Install it: apt-get install -y openjdk-17-jre-headless"
}

require_maven() {
  command -v mvn >/dev/null 2>&1 ||
    die "mvn (Maven) not found; it downloads Kafka and the registry on first start. Install it: apt-get install -y maven"
}

require_node() {
  command -v node >/dev/null 2>&1 || die "node not found; Node.js 20+ is needed for the readiness probes"
}

# Runs Maven with every download kept in the project's cache. Downloads of a megabyte or
# more are echoed as they land, so that a cold start shows progress instead of sitting silent.
# Usage: mvn_fetch <log name> <maven arguments...>
mvn_fetch() {
  require_maven
  local logfile="$SERVICES_DIR/logs/maven-$1.log" rc=0
  shift
  mkdir -p "$SERVICES_DIR/logs"
  log "maven $* (full log: $logfile)"
  mvn -B -Dmaven.repo.local="$SERVICES_DIR/m2" "$@" </dev/null 2>&1 | tee "$logfile" |
    sed -nuE 's#^(\[INFO\] )?Downloaded from [^:]+: .*/([^/ ]+) \(([0-9.]+ MB) at .*#[services]   fetched \2 (\3)#p' >&2 ||
    rc=$?
  if ((rc != 0)) || ! grep -q 'BUILD SUCCESS' "$logfile"; then
    grep -E 'ERROR' "$logfile" | head -n 15 >&2 || true
    die "Maven failed; see $logfile"
  fi
  log "maven: $(grep -cE '^(\[INFO\] )?Downloaded from' "$logfile" || true) files downloaded"
}

# `host:port` accepts TCP connections within a second.
port_open() {
  local host=${1%:*} port=${1##*:}
  timeout 1 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
}

# Pid from a pid file, only if that process is alive and is still ours (pids get reused).
live_pid() {
  local pidfile=$1 marker=$2 pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$marker" || return 1
  printf '%s' "$pid"
}

# Pids of processes whose command line carries both markers: strays whose pid file was lost.
marked_pids() {
  local service_marker=$1 dir_marker=$2 d cmd
  for d in /proc/[0-9]*; do
    # A process may exit between the glob and the read: ignore those.
    cmd=$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
    [[ "$cmd" == *"$service_marker"* && "$cmd" == *"$dir_marker"* ]] && printf '%s\n' "${d#/proc/}"
  done
  return 0
}

# Pid of our running service: from its pid file, else found by its markers (the pid file
# is then written again, so that a lost pid file does not lead to a second instance).
find_pid() {
  local pidfile=$1 marker=$2 pid
  if pid=$(live_pid "$pidfile" "$marker"); then
    printf '%s' "$pid"
    return 0
  fi
  pid=$(marked_pids "$marker" "-Dhomeostat.services.dir=$SERVICES_DIR" | head -n 1)
  [[ -n "$pid" ]] || return 1
  printf '%s' "$pid" >"$pidfile" 2>/dev/null || true
  printf '%s' "$pid"
}

# SIGTERM, wait up to $2 seconds, then SIGKILL.
stop_pid() {
  local pid=$1 grace=$2 name=$3 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= grace * 10)); then
      log "$name (pid $pid) still running after ${grace}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Starts a command detached from this shell (own session, no stdin), output to a log file.
# fd 9 is closed for it: it holds services.sh's lock, which a service must not inherit.
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  mkdir -p "$(dirname "$logfile")"
  nohup setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  printf '%s' "$!" >"$pidfile"
}

# Node readiness probe (tcp, http, kafka metadata + group coordinator); see probe.js.
probe() {
  node "$SCRIPT_DIR/services/probe.js" "$@"
}
