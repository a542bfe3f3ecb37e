# shellcheck shell=bash
# Extra single-node Kafka brokers ("instances") for the tests that stop, kill or lock down a
# broker (test/faults): stopping the shared broker would break every other test run on the
# machine. Each instance runs from the shared broker's cached jars (.services/kafka/libs)
# with its own config, data, logs and pid file under .services/instances/<name>, and one
# combined broker+controller KRaft node. With --sasl scram its only client listener is
# SASL_PLAINTEXT with SCRAM-SHA-256 and SCRAM-SHA-512; the users are created at format time.
#
# Processes are found by the marker -Dhomeostat.kafka-instance=<name> (never by the shared
# broker's -Dhomeostat.service=kafka marker, so that `services.sh stop` leaves instances
# alone and `stop-instance` never touches the shared broker).
# Sourced by scripts/services.sh after common.sh and kafka.sh.

INSTANCES_DIR="$SERVICES_DIR/instances"
KAFKA_INSTANCE_HEAP_OPTS=${KAFKA_INSTANCE_HEAP_OPTS:-"-Xms128m -Xmx384m"}
# The SCRAM user clients log in as, and the one the broker uses on its own listener.
INSTANCE_SASL_USER=homeostat
INSTANCE_BROKER_USER=broker

# Sets I_* paths and the marker for instance `$1`.
instance_vars() {
  local name=$1
  [[ "$name" =~ ^[a-zA-Z0-9._-]{1,64}$ ]] ||
    die "instance name '$name': use 1-64 letters, digits, '.', '_' or '-'"
  I_NAME=$name
  I_HOME="$INSTANCES_DIR/$name"
  I_CONF="$I_HOME/config"
  I_DATA="$I_HOME/data"
  I_LOGS="$I_HOME/logs"
  I_PIDFILE="$I_HOME/kafka.pid"
  I_ENV="$I_HOME/instance.env"
  I_PASSWORD_FILE="$I_HOME/sasl.password"
  # The trailing space ends the value in /proc/<pid>/cmdline (read with NULs as spaces), so
  # that instance "a" never matches the process of instance "ab".
  I_MARKER="-Dhomeostat.kafka-instance=$name "
}

instance_lock() {
  mkdir -p "$I_HOME"
  exec 8>"$I_HOME/.lock"
  flock -w 120 8 || die "another services.sh command held $I_HOME/.lock for 2 minutes"
}

instance_pid() {
  local pid
  if pid=$(live_pid "$I_PIDFILE" "$I_MARKER"); then
    printf '%s' "$pid"
    return 0
  fi
  pid=$(marked_pids "$I_MARKER" "-Dhomeostat.instances.dir=$INSTANCES_DIR" | head -n 1)
  [[ -n "$pid" ]] || return 1
  printf '%s' "$pid"
}

# Reads the settings saved at the instance's first start (PORT, CONTROLLER_PORT, SASL, OWNER).
instance_load_env() {
  PORT='' CONTROLLER_PORT='' SASL='' OWNER=''
  [[ -f "$I_ENV" ]] || return 1
  # shellcheck disable=SC1090 # written by instance_save_env only
  source "$I_ENV"
}

instance_save_env() {
  printf 'PORT=%s\nCONTROLLER_PORT=%s\nSASL=%s\nOWNER=%s\n' "$1" "$2" "$3" "$4" >"$I_ENV"
}

instance_configure() {
  local port=$1 cport=$2 sasl=$3 listeners advertised protocols inter password jaas
  mkdir -p "$I_CONF" "$I_DATA" "$I_LOGS"
  if [[ "$sasl" == scram ]]; then
    password=$(cat "$INSTANCE_BROKER_PASSWORD_FILE")
    listeners="SASL_PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    advertised="SASL_PLAINTEXT://127.0.0.1:$port"
    protocols="CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
    inter=SASL_PLAINTEXT
    jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$INSTANCE_BROKER_USER\" password=\"$password\";"
  else
    listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    advertised="PLAINTEXT://127.0.0.1:$port"
    protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    inter=PLAINTEXT
  fi
  kafka_write_server_properties "$I_CONF/server.properties" "Written by scripts/services.sh start-instance $I_NAME" \
    "$cport" "$listeners" "$advertised" "$inter" "$protocols" "$I_DATA"
  if [[ "$sasl" == scram ]]; then
    # The controller listener stays PLAINTEXT on loopback: only this node talks to it.
    cat >>"$I_CONF/server.properties" <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$jaas
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$jaas
EOF
    chmod 600 "$I_CONF/server.properties"
  fi
  kafka_write_log4j "$I_CONF/log4j2.xml" "$I_LOGS" 20 2
}

instance_cmd() {
  kafka_java_cmdline "$KAFKA_INSTANCE_HEAP_OPTS" "$I_CONF" "$I_LOGS" "${I_MARKER% }" "-Dhomeostat.instances.dir=$INSTANCES_DIR" "$@"
  INSTANCE_CMD=("${JAVA_CMD[@]}")
}

instance_format() {
  local sasl=$1 cluster_id password scram=()
  [[ -f "$I_DATA/meta.properties" ]] && return 0
  instance_cmd kafka.tools.StorageTool random-uuid
  cluster_id=$("${INSTANCE_CMD[@]}" 2>>"$I_LOGS/format.log" | tail -n 1)
  [[ -n "$cluster_id" ]] || die "could not make a cluster id; see $I_LOGS/format.log"
  if [[ "$sasl" == scram ]]; then
    password=$(cat "$I_PASSWORD_FILE")
    local broker_password
    broker_password=$(cat "$INSTANCE_BROKER_PASSWORD_FILE")
    scram=(--add-scram "SCRAM-SHA-256=[name=$INSTANCE_SASL_USER,password=$password]"
      --add-scram "SCRAM-SHA-512=[name=$INSTANCE_SASL_USER,password=$password]"
      --add-scram "SCRAM-SHA-256=[name=$INSTANCE_BROKER_USER,password=$broker_password]"
      --add-scram "SCRAM-SHA-512=[name=$INSTANCE_BROKER_USER,password=$broker_password]")
  fi
  log "instance $I_NAME: formatting KRaft storage (cluster id $cluster_id)${scram[*]:+ with SCRAM users $INSTANCE_SASL_USER and $INSTANCE_BROKER_USER}"
  instance_cmd kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$I_CONF/server.properties" "${scram[@]}"
  "${INSTANCE_CMD[@]}" >>"$I_LOGS/format.log" 2>&1 || die "formatting instance $I_NAME failed; see $I_LOGS/format.log"
}

# Readiness with SCRAM credentials: metadata, a group coordinator and a transaction
# coordinator answer, as probe.js checks for the shared broker (which needs no credentials).
# shellcheck disable=SC2016 # the single-quoted text is JavaScript
instance_probe_sasl() {
  local brokers=$1 timeout_ms=$2
  INSTANCE_PROBE_PASSWORD_FILE=$I_PASSWORD_FILE INSTANCE_PROBE_USER=$INSTANCE_SASL_USER \
    node -e '
const { Kafka, logLevel } = require(require.resolve("kafkajs", { paths: [process.argv[3]] }));
const fs = require("node:fs");
const deadline = Date.now() + Number(process.argv[2]);
const kafka = new Kafka({
  clientId: "homeostat-instance-probe", brokers: process.argv[1].split(","), logLevel: logLevel.NOTHING,
  connectionTimeout: 2000, retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1000 },
  sasl: { mechanism: "scram-sha-256", username: process.env.INSTANCE_PROBE_USER,
          password: fs.readFileSync(process.env.INSTANCE_PROBE_PASSWORD_FILE, "utf8").trim() },
});
(async () => {
  let last = "no answer";
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.describeGroups(["homeostat-instance-probe"]);
      const producer = kafka.producer({ transactionalId: "homeostat-instance-probe", maxInFlightRequests: 1 });
      await producer.connect();
      await producer.disconnect();
      return;
    } catch (err) { last = `${err.name}: ${err.message}`; }
    finally { await admin.disconnect().catch(() => undefined); }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not ready (last: ${last})`);
})().then(() => process.exit(0), (err) => { console.error(`[probe] ${err.message}`); process.exit(1); });
' "$brokers" "$timeout_ms" "$ROOT"
}

instance_wait() {
  local pid=$1 port=$2 sasl=$3 waited=0 rc=0
  while ! port_open "127.0.0.1:$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$I_LOGS/kafka.out" "$I_LOGS/server.log" >&2 2>/dev/null || true
      die "instance $I_NAME exited during start-up; see $I_LOGS/server.log"
    fi
    ((waited >= KAFKA_START_TIMEOUT * 4)) && die "instance $I_NAME did not open port $port within ${KAFKA_START_TIMEOUT}s; see $I_LOGS/server.log"
    sleep 0.25
    waited=$((waited + 1))
  done
  if [[ "$sasl" == scram ]]; then
    instance_probe_sasl "127.0.0.1:$port" $((KAFKA_START_TIMEOUT * 1000)) || rc=$?
  else
    probe kafka "127.0.0.1:$port" $((KAFKA_START_TIMEOUT * 1000)) || rc=$?
  fi
  ((rc == 0 || rc == 2)) || die "instance $I_NAME accepts connections on $port but is not ready; see $I_LOGS/server.log"
}

instance_print() {
  printf 'KAFKA_BROKERS=127.0.0.1:%s\n' "$PORT"
  if [[ "$SASL" == scram ]]; then
    printf 'KAFKA_SASL_MECHANISMS=SCRAM-SHA-256,SCRAM-SHA-512\n'
    printf 'KAFKA_SASL_USERNAME=%s\n' "$INSTANCE_SASL_USER"
    printf 'KAFKA_SASL_PASSWORD_FILE=%s\n' "$I_PASSWORD_FILE"
  fi
}

# start-instance <name> --port P [--controller-port C] [--sasl scram|none] [--owner PID]
cmd_start_instance() {
  (($# >= 1)) || usage
  instance_vars "$1"
  shift
  local port='' cport='' sasl='' owner='' pid
  while (($# > 0)); do
    case "$1" in
      --port) port=${2:-}; shift 2 ;;
      --controller-port) cport=${2:-}; shift 2 ;;
      --sasl) sasl=${2:-}; shift 2 ;;
      --owner) owner=${2:-}; shift 2 ;;
      *) die "start-instance: unknown option '$1' (expected --port, --controller-port, --sasl scram, --owner)" ;;
    esac
  done
  require_node
  instance_lock
  if instance_load_env; then
    # A formatted instance keeps its ports: the controller's address is in its metadata log.
    [[ -z "$port" || "$port" == "$PORT" ]] || die "instance $I_NAME was created with --port $PORT; stop-instance $I_NAME --purge to recreate it"
    [[ -z "$cport" || "$cport" == "$CONTROLLER_PORT" ]] || die "instance $I_NAME was created with --controller-port $CONTROLLER_PORT; stop-instance $I_NAME --purge to recreate it"
    [[ -z "$sasl" || "$sasl" == "$SASL" ]] || die "instance $I_NAME was created with --sasl $SASL; stop-instance $I_NAME --purge to recreate it"
    [[ -n "$owner" ]] && OWNER=$owner
  else
    [[ "$port" =~ ^[0-9]+$ ]] || die "start-instance $I_NAME: give --port <port> (a free TCP port)"
    [[ -z "$cport" ]] && cport=$((port + 1))
    [[ "$cport" =~ ^[0-9]+$ ]] || die "start-instance $I_NAME: --controller-port must be a port number"
    [[ -z "$sasl" ]] && sasl=none
    [[ "$sasl" == none || "$sasl" == scram ]] || die "start-instance $I_NAME: --sasl is scram or none, got '$sasl'"
    PORT=$port CONTROLLER_PORT=$cport SASL=$sasl OWNER=$owner
  fi
  INSTANCE_BROKER_PASSWORD_FILE="$I_HOME/broker.password"
  if pid=$(instance_pid); then
    log "instance $I_NAME already running (pid $pid) on 127.0.0.1:$PORT"
    instance_print
    return 0
  fi
  local p
  for p in "$PORT" "$CONTROLLER_PORT"; do
    port_open "127.0.0.1:$p" && die "port $p is in use by another process; pick other ports for instance $I_NAME"
  done
  require_java
  if [[ "$(cat "$KAFKA_LIBS/.version" 2>/dev/null)" != "$KAFKA_VERSION" ]]; then
    take_lock # the shared broker's jars: fetched under services.sh's own lock
    kafka_fetch
  fi
  mkdir -p "$I_HOME"
  instance_save_env "$PORT" "$CONTROLLER_PORT" "$SASL" "$OWNER"
  if [[ "$SASL" == scram ]]; then
    (
      umask 077
      [[ -s "$I_PASSWORD_FILE" ]] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$I_PASSWORD_FILE"
      [[ -s "$INSTANCE_BROKER_PASSWORD_FILE" ]] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$INSTANCE_BROKER_PASSWORD_FILE"
    )
  fi
  instance_configure "$PORT" "$CONTROLLER_PORT" "$SASL"
  instance_format "$SASL"
  local security=PLAINTEXT
  [[ "$SASL" == scram ]] && security='SASL_PLAINTEXT, SCRAM-SHA-256/512'
  log "instance $I_NAME: starting kafka $KAFKA_VERSION on 127.0.0.1:$PORT ($security; log: $I_LOGS/server.log)"
  instance_cmd kafka.Kafka "$I_CONF/server.properties"
  # As common.sh's spawn, but fd 8 (this instance's lock) is closed too: a broker holding it
  # would block every later stop-instance.
  nohup setsid "${INSTANCE_CMD[@]}" </dev/null >>"$I_LOGS/kafka.out" 2>&1 8>&- 9>&- &
  printf '%s' "$!" >"$I_PIDFILE"
  pid=$(cat "$I_PIDFILE")
  instance_wait "$pid" "$PORT" "$SASL"
  log "instance $I_NAME ready at 127.0.0.1:$PORT (pid $pid)"
  instance_print
}

instance_stop_pids() {
  local sig=$1 pid
  for pid in $({ instance_pid && echo; marked_pids "$I_MARKER" "-Dhomeostat.instances.dir=$INSTANCES_DIR"; } | sort -u); do
    kill -0 "$pid" 2>/dev/null || continue
    if [[ "$sig" == KILL ]]; then
      log "instance $I_NAME: SIGKILL (pid $pid)"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    else
      log "instance $I_NAME: stopping (pid $pid)"
      stop_pid "$pid" 30 "instance $I_NAME"
    fi
  done
  rm -f "$I_PIDFILE"
}

# stop-instance <name> [--kill] [--purge]: SIGTERM (or SIGKILL: a crash); --purge deletes its data.
cmd_stop_instance() {
  (($# >= 1)) || usage
  instance_vars "$1"
  shift
  local sig=TERM purge=0
  while (($# > 0)); do
    case "$1" in
      --kill) sig=KILL ;;
      --purge) purge=1 ;;
      *) die "stop-instance: unknown option '$1' (expected --kill, --purge)" ;;
    esac
    shift
  done
  [[ -d "$I_HOME" ]] || { log "no instance $I_NAME"; return 0; }
  instance_lock
  instance_stop_pids "$sig"
  if ((purge == 1)); then
    rm -rf "$I_HOME"
    log "instance $I_NAME stopped and deleted"
  else
    log "instance $I_NAME stopped (data kept: start-instance $I_NAME resumes it)"
  fi
}

instance_names() {
  local d
  for d in "$INSTANCES_DIR"/*/; do
    [[ -d "$d" ]] && basename "$d"
  done
  return 0
}

# stop-instances [--owner PID | --orphans]: stop and delete every instance (of that owner,
# or whose owner process has exited).
cmd_stop_instances() {
  local mode=all owner='' name
  case "${1:-}" in
    --owner) mode=owner; owner=${2:-}; [[ "$owner" =~ ^[0-9]+$ ]] || die "stop-instances --owner needs a pid" ;;
    --orphans) mode=orphans ;;
    '') ;;
    *) die "stop-instances: unknown option '$1' (expected --owner PID or --orphans)" ;;
  esac
  for name in $(instance_names); do
    instance_vars "$name"
    instance_load_env || true
    case "$mode" in
      owner) [[ "$OWNER" == "$owner" ]] || continue ;;
      orphans) if [[ -z "$OWNER" ]] || kill -0 "$OWNER" 2>/dev/null; then continue; fi ;;
    esac
    (cmd_stop_instance "$name" --purge)
  done
}

cmd_instance_status() {
  local name pid any=0
  for name in $(instance_names); do
    any=1
    instance_vars "$name"
    instance_load_env || true
    if pid=$(instance_pid); then
      printf 'instance  %-20s up        pid %-8s 127.0.0.1:%s  sasl %s  owner %s\n' "$name" "$pid" "$PORT" "$SASL" "${OWNER:--}"
    else
      printf 'instance  %-20s down                   127.0.0.1:%s  sasl %s  owner %s\n' "$name" "$PORT" "$SASL" "${OWNER:--}"
    fi
  done
  ((any == 1)) || printf 'no instances\n'
  return 0
}
