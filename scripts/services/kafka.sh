# shellcheck shell=bash disable=SC2034 # sets variables read by scripts/services.sh
# A single-node Apache Kafka 4 (KRaft, combined broker+controller) run straight from the
# jars on Maven Central: no Docker, no tarball from a download site.
# Sourced by scripts/services.sh after common.sh.

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:-"-Xms256m -Xmx512m"}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
# Kafka 4.x logs through log4j2 behind slf4j 1.7; this is the binding its own distribution ships.
KAFKA_LOG4J_VERSION=${KAFKA_LOG4J_VERSION:-2.24.3}

KAFKA_HOME="$SERVICES_DIR/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_CONF="$KAFKA_HOME/config"
KAFKA_DATA="$KAFKA_HOME/data"
KAFKA_LOGS="$KAFKA_HOME/logs"
KAFKA_PIDFILE="$KAFKA_HOME/kafka.pid"
KAFKA_MARKER="-Dhomeostat.service=kafka"
KAFKA_ADDR="127.0.0.1:$KAFKA_PORT"

kafka_fetch() {
  if [[ "$(cat "$KAFKA_LIBS/.version" 2>/dev/null)" == "$KAFKA_VERSION" ]]; then return 0; fi
  log "fetching Apache Kafka $KAFKA_VERSION and its runtime dependencies (first start only)"
  rm -rf "$KAFKA_LIBS" "$KAFKA_HOME/fetch"
  mkdir -p "$KAFKA_HOME/fetch"
  cat >"$KAFKA_HOME/fetch/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.homeostat</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$KAFKA_LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$KAFKA_LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  mvn_fetch kafka -f "$KAFKA_HOME/fetch/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  compgen -G "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null ||
    die "kafka_2.13-$KAFKA_VERSION.jar missing after the Maven fetch; see $SERVICES_DIR/logs/maven-kafka.log"
  printf '%s' "$KAFKA_VERSION" >"$KAFKA_LIBS/.version"
  log "kafka $KAFKA_VERSION: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

# server.properties for one combined broker+controller: replication factors of 1 because there
# is one node, and no initial rebalance delay so that test consumers join at once. Shared by
# the broker here and the fault tests' instances (services/instance.sh), which differ only in
# ports, listeners and directories.
#   kafka_write_server_properties FILE HEADER CONTROLLER_PORT LISTENERS ADVERTISED INTER PROTOCOLS DATA_DIR
kafka_write_server_properties() {
  cat >"$1" <<EOF
# $2; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$3
listeners=$4
advertised.listeners=$5
controller.listener.names=CONTROLLER
inter.broker.listener.name=$6
listener.security.protocol.map=$7
log.dirs=$8
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

# Broker logs go to rolling files, not the console.
#   kafka_write_log4j FILE LOGS_DIR SIZE_MB MAX_FILES
kafka_write_log4j() {
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/services.sh: broker logs go to files under $2. -->
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="server" fileName="$2/server.log" filePattern="$2/server.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="$3 MB"/>
      <DefaultRolloverStrategy max="$4"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
  </Loggers>
</Configuration>
EOF
}

kafka_configure() {
  mkdir -p "$KAFKA_CONF" "$KAFKA_DATA" "$KAFKA_LOGS"
  kafka_write_server_properties "$KAFKA_CONF/server.properties" "Written by scripts/services.sh" "$KAFKA_CONTROLLER_PORT" \
    "PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT" "PLAINTEXT://127.0.0.1:$KAFKA_PORT" \
    PLAINTEXT "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" "$KAFKA_DATA"
  kafka_write_log4j "$KAFKA_CONF/log4j2.xml" "$KAFKA_LOGS" 50 3
}

# The java command line for a Kafka main class, in the array JAVA_CMD.
#   kafka_java_cmdline HEAP_OPTS CONF_DIR LOGS_DIR MARKER_PROPERTY DIR_PROPERTY MAIN [ARGS...]
# The two marker properties let `stop` find a broker whose pid file was lost.
kafka_java_cmdline() {
  local heap
  read -r -a heap <<<"$1"
  JAVA_CMD=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$2/log4j2.xml" "-Dkafka.logs.dir=$3"
    "$4" "$5" -cp "$KAFKA_LIBS/*" "${@:6}")
}

# The java command line for a Kafka main class of the shared broker, in the array KAFKA_CMD.
kafka_cmd() {
  kafka_java_cmdline "$KAFKA_HEAP_OPTS" "$KAFKA_CONF" "$KAFKA_LOGS" "$KAFKA_MARKER" "-Dhomeostat.services.dir=$SERVICES_DIR" "$@"
  KAFKA_CMD=("${JAVA_CMD[@]}")
}

kafka_java() {
  kafka_cmd "$@"
  "${KAFKA_CMD[@]}"
}

# Storage is formatted once per data dir; meta.properties marks a formatted one.
kafka_format() {
  [[ -f "$KAFKA_DATA/meta.properties" ]] && return 0
  local cluster_id
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_LOGS/format.log" | tail -n 1)
  [[ -n "$cluster_id" ]] || die "could not make a cluster id; see $KAFKA_LOGS/format.log"
  log "formatting KRaft storage (cluster id $cluster_id)"
  kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" \
    -c "$KAFKA_CONF/server.properties" >>"$KAFKA_LOGS/format.log" 2>&1 ||
    die "formatting Kafka storage failed; see $KAFKA_LOGS/format.log"
}

# Sets KAFKA_STATE to "started" when it launched a broker, "running" when one was there.
kafka_start() {
  local pid
  KAFKA_STATE=running
  if pid=$(find_pid "$KAFKA_PIDFILE" "$KAFKA_MARKER"); then
    log "kafka already running (pid $pid) on $KAFKA_ADDR"
    return 0
  fi
  if port_open "$KAFKA_ADDR"; then
    log "something already listens on $KAFKA_ADDR (not started by this script); using it"
    return 0
  fi
  kafka_fetch
  kafka_configure
  kafka_format
  log "starting kafka $KAFKA_VERSION on $KAFKA_ADDR (log: $KAFKA_LOGS/server.log)"
  kafka_cmd kafka.Kafka "$KAFKA_CONF/server.properties"
  spawn "$KAFKA_PIDFILE" "$KAFKA_LOGS/kafka.out" "${KAFKA_CMD[@]}"
  KAFKA_STATE=started
}

# Waits until the broker answers metadata and has a group coordinator.
kafka_wait() {
  local brokers=$1 own_pid=${2:-} waited=0
  local first=${brokers%%,*}
  while ! port_open "$first"; do
    if [[ -n "$own_pid" ]] && ! kill -0 "$own_pid" 2>/dev/null; then
      tail -n 20 "$KAFKA_LOGS/kafka.out" "$KAFKA_LOGS/server.log" >&2 2>/dev/null || true
      die "kafka exited during start-up; see $KAFKA_LOGS/server.log and $KAFKA_LOGS/kafka.out"
    fi
    ((waited >= KAFKA_START_TIMEOUT * 4)) &&
      die "kafka did not open $first within ${KAFKA_START_TIMEOUT}s${own_pid:+; see $KAFKA_LOGS/server.log}"
    sleep 0.25
    waited=$((waited + 1))
  done
  local rc=0
  probe kafka "$brokers" $((KAFKA_START_TIMEOUT * 1000)) || rc=$?
  case $rc in
    0) log "kafka ready at $brokers" ;;
    2) log "kafka port open at $first (metadata check skipped: no node_modules yet)" ;;
    *) die "kafka at $brokers accepts connections but is not ready${own_pid:+; see $KAFKA_LOGS/server.log}" ;;
  esac
}

kafka_stop() {
  local pid
  if pid=$(live_pid "$KAFKA_PIDFILE" "$KAFKA_MARKER"); then
    log "stopping kafka (pid $pid)"
    # A lone KRaft node shuts down in a few seconds; 30 s covers a slow log flush.
    stop_pid "$pid" 30 kafka
  fi
  for pid in $(marked_pids "$KAFKA_MARKER" "-Dhomeostat.services.dir=$SERVICES_DIR"); do
    log "stopping leftover kafka process (pid $pid)"
    stop_pid "$pid" 30 kafka
  done
  rm -f "$KAFKA_PIDFILE"
}

kafka_status() {
  local pid
  if pid=$(find_pid "$KAFKA_PIDFILE" "$KAFKA_MARKER"); then
    if port_open "$KAFKA_ADDR"; then
      printf 'kafka     up        pid %-8s %s  (kafka %s, log %s)\n' "$pid" "$KAFKA_ADDR" \
        "$(cat "$KAFKA_LIBS/.version" 2>/dev/null)" "$KAFKA_LOGS/server.log"
      return 0
    fi
    printf 'kafka     starting  pid %-8s %s  (port not open yet; log %s)\n' "$pid" "$KAFKA_ADDR" "$KAFKA_LOGS/server.log"
    return 1
  fi
  if port_open "$KAFKA_ADDR"; then
    printf 'kafka     up        pid ?        %s  (not started by this script)\n' "$KAFKA_ADDR"
    return 0
  fi
  printf 'kafka     down                   %s\n' "$KAFKA_ADDR"
  return 1
}
