#!/usr/bin/env bash
# Real Kafka and a real Schema Registry for development and the integration tests, without
# Docker: Apache Kafka 4 (KRaft, one combined broker+controller) and Apicurio Registry
# (Confluent-compatible API), both fetched from Maven Central with Maven and cached under
# .services/ (jars, data, logs, pid files).
#
#   bash scripts/services.sh start  [kafka|registry ...]   start (idempotent) and wait until ready
#   bash scripts/services.sh stop   [kafka|registry ...]   stop what this script started
#   bash scripts/services.sh status                        what runs where; exit 0 only if all up
#   bash scripts/services.sh release <pid>                 drop a test run's lease (see services/leases.sh)
#
# Extra brokers for fault tests, never the shared one (see services/instance.sh):
#   bash scripts/services.sh start-instance <name> --port P [--controller-port C] [--sasl scram] [--owner PID]
#   bash scripts/services.sh stop-instance <name> [--kill] [--purge]   SIGTERM (--kill: SIGKILL); --purge deletes data
#   bash scripts/services.sh stop-instances [--owner PID | --orphans]  stop and delete several
#   bash scripts/services.sh instance-status
#
# Environment:
#   KAFKA_BROKERS, SCHEMA_REGISTRY_URL   use services run elsewhere: start and status only check them
#   KAFKA_VERSION (4.1.1), APICURIO_VERSION (3.0.9), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
#   SCHEMA_REGISTRY_PORT (8081), SCHEMA_REGISTRY_MANAGEMENT_PORT (8091),
#   KAFKA_HEAP_OPTS ("-Xms256m -Xmx512m"), SCHEMA_REGISTRY_HEAP_OPTS ("-Xms128m -Xmx384m"),
#   KAFKA_START_TIMEOUT / SCHEMA_REGISTRY_START_TIMEOUT (90 s), SCHEMA_REGISTRY_LEGACY_IDS (false),
#   SERVICES_DIR (.services), SERVICES_LEASE (pid of a test run: start takes a lease for it)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
SERVICES_DIR=${SERVICES_DIR:-$ROOT/.services}

# shellcheck source=scripts/services/common.sh
source "$SCRIPT_DIR/services/common.sh"
# shellcheck source=scripts/services/kafka.sh
source "$SCRIPT_DIR/services/kafka.sh"
# shellcheck source=scripts/services/registry.sh
source "$SCRIPT_DIR/services/registry.sh"
# shellcheck source=scripts/services/leases.sh
source "$SCRIPT_DIR/services/leases.sh"
# shellcheck source=scripts/services/instance.sh
source "$SCRIPT_DIR/services/instance.sh"

usage() {
  sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit 64
}

# One start or stop at a time: two test runs starting at once must not launch two brokers.
take_lock() {
  mkdir -p "$SERVICES_DIR"
  exec 9>"$SERVICES_DIR/.lock"
  flock -n 9 && return 0
  log "waiting for another services.sh start/stop to finish"
  flock -w 600 9 || die "another services.sh start/stop held $SERVICES_DIR/.lock for 10 minutes"
}

# Which of kafka/registry a command is about: the arguments, or both.
pick() {
  local s
  WANT_KAFKA=0 WANT_REGISTRY=0
  (($# == 0)) && set -- kafka registry
  for s in "$@"; do
    case "$s" in
      kafka) WANT_KAFKA=1 ;;
      registry | schema-registry) WANT_REGISTRY=1 ;;
      *) die "unknown service '$s' (expected kafka or registry)" ;;
    esac
  done
}

LAUNCHED=()
START_OK=0

# A failed start stops what it launched, so that nothing half-started stays behind.
cleanup_failed_start() {
  ((START_OK == 1)) && return 0
  local s
  for s in "${LAUNCHED[@]}"; do
    case "$s" in
      kafka) kafka_stop ;;
      registry) registry_stop ;;
    esac
  done
}

cmd_start() {
  pick "$@"
  require_node
  local t0=$SECONDS kafka_pid='' registry_pid=''
  local local_kafka=0 local_registry=0
  ((WANT_KAFKA == 1)) && [[ -z "${KAFKA_BROKERS:-}" ]] && local_kafka=1
  ((WANT_REGISTRY == 1)) && [[ -z "${SCHEMA_REGISTRY_URL:-}" ]] && local_registry=1
  if ((local_kafka + local_registry > 0)); then
    require_java
    take_lock
    trap cleanup_failed_start EXIT
  fi

  # Launch both first, then wait: the two JVMs start in parallel.
  if ((local_kafka == 1)); then
    kafka_start
    if [[ "$KAFKA_STATE" == started ]]; then
      LAUNCHED+=(kafka)
      kafka_pid=$(cat "$KAFKA_PIDFILE")
    fi
  fi
  if ((local_registry == 1)); then
    registry_start
    if [[ "$REGISTRY_STATE" == started ]]; then
      LAUNCHED+=(registry)
      registry_pid=$(cat "$REGISTRY_PIDFILE")
    fi
  fi

  if ((WANT_KAFKA == 1)); then
    if ((local_kafka == 1)); then
      kafka_wait "$KAFKA_ADDR" "$kafka_pid"
    else
      log "KAFKA_BROKERS=$KAFKA_BROKERS is set: not starting a broker, checking that one"
      kafka_wait "$KAFKA_BROKERS"
    fi
  fi
  if ((WANT_REGISTRY == 1)); then
    if ((local_registry == 1)); then
      registry_wait "$REGISTRY_LOCAL_URL" "$registry_pid"
    else
      log "SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL is set: not starting a registry, checking that one"
      registry_wait "$SCHEMA_REGISTRY_URL"
    fi
  fi

  START_OK=1
  if ((local_kafka + local_registry > 0)); then
    if [[ -n "${SERVICES_LEASE:-}" ]]; then
      lease_take "$SERVICES_LEASE" "${LAUNCHED[@]}"
    else
      lease_adopt
    fi
  fi
  log "ready in $((SECONDS - t0))s${LAUNCHED[*]:+ (launched: ${LAUNCHED[*]})}"
  ((WANT_KAFKA == 1)) && printf 'KAFKA_BROKERS=%s\n' "${KAFKA_BROKERS:-$KAFKA_ADDR}"
  ((WANT_REGISTRY == 1)) && printf 'SCHEMA_REGISTRY_URL=%s\n' "${SCHEMA_REGISTRY_URL:-$REGISTRY_LOCAL_URL}"
  return 0
}

# Stops only what this script started (found by pid file or by its marker properties),
# whatever KAFKA_BROKERS / SCHEMA_REGISTRY_URL say: an external service is never touched.
cmd_stop() {
  pick "$@"
  take_lock
  ((WANT_REGISTRY == 1)) && registry_stop
  ((WANT_KAFKA == 1)) && kafka_stop
  ((WANT_KAFKA + WANT_REGISTRY == 2)) && lease_clear
  log "stopped"
}

# A test run is done with the services: stop those that leased starts launched, once no
# other run holds a lease.
cmd_release() {
  (($# == 1)) || usage
  local to_stop s
  take_lock
  to_stop=$(lease_release "$1")
  for s in $to_stop; do
    case "$s" in
      kafka) kafka_stop ;;
      registry) registry_stop ;;
    esac
  done
  log "released lease $1${to_stop:+ and stopped: $(printf '%s' "$to_stop" | tr '\n' ' ')}"
}

cmd_status() {
  (($# == 0)) || usage
  local rc=0 b any
  if [[ -n "${KAFKA_BROKERS:-}" ]]; then
    any=down
    for b in ${KAFKA_BROKERS//,/ }; do port_open "$b" && any=up && break; done
    printf 'kafka     %-9s external %s\n' "$any" "$KAFKA_BROKERS"
    [[ "$any" == up ]] || rc=1
  else
    kafka_status || rc=1
  fi
  if [[ -n "${SCHEMA_REGISTRY_URL:-}" ]]; then
    if probe http "$SCHEMA_REGISTRY_URL" 3000 2>/dev/null; then
      printf 'registry  up        external %s\n' "$SCHEMA_REGISTRY_URL"
    else
      printf 'registry  down      external %s\n' "$SCHEMA_REGISTRY_URL"
      rc=1
    fi
  else
    registry_status || rc=1
  fi
  return "$rc"
}

main() {
  local cmd=${1:-}
  (($# > 0)) && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    release) cmd_release "$@" ;;
    start-instance) cmd_start_instance "$@" ;;
    stop-instance) cmd_stop_instance "$@" ;;
    stop-instances) cmd_stop_instances "$@" ;;
    instance-status) cmd_instance_status "$@" ;;
    *) usage ;;
  esac
}

main "$@"
